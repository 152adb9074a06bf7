// A service with two hospitals and a service hall, for the medical scene's
// API tests (tests/medical_api_test.cc, tests/fhir_api_test.cc): the first
// hospital's administrator key, a department and clinician, its kiosk, and a
// citizen with a verified identity and an enrolled phone whose codes Code()
// makes. On SQLite and PostgreSQL (TEST_P over DatabaseBackends()).
#ifndef CITYCODE_TESTS_SUPPORT_MEDICAL_SERVICE_TEST_H_
#define CITYCODE_TESTS_SUPPORT_MEDICAL_SERVICE_TEST_H_

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "tests/support/fresh_code.h"
#include "tests/support/people.h"
#include "tests/support/service_test.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode::testing {

// Fictional people; the ID numbers carry valid check characters.
inline constexpr std::string_view kCitizenName = "测试市民丙";
inline constexpr std::string_view kIdNumber = "370282199003154516";
inline constexpr std::string_view kPhone = "13912345678";
inline constexpr std::string_view kPassword = "correct horse";

inline const Instant kStart = FromUnixSeconds(1'786'000'000);  // 2026-08-06 15:06 in Jimo
inline constexpr std::string_view kTomorrow = "2026-08-07";

// The tables the scene's routes write.
inline constexpr const char* kMedicalTables[] = {
    "medical_departments",       "medical_clinicians",
    "medical_schedules",         "medical_slots",
    "medical_appointments",      "medical_encounters",
    "medical_prescriptions",     "medical_prescription_items",
    "medical_pharmacy_counters", "medical_notices",
    "medical_booking_blocks",    "medical_postings",
    "medical_patient_accounts",  "medical_terminals"};

struct OrgSetup {
  std::string id;
  std::string site_id;
  std::string kiosk_id;
  std::string kiosk_key;
};

class MedicalServiceTest : public ServiceTest {
 protected:
  using json = nlohmann::json;

  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("medical-api");
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
    hospital_ = NewOrg("即墨区人民医院", "hospital");
    other_hospital_ = NewOrg("即墨区中医医院", "hospital");
    hall_ = NewOrg("即墨区政务服务中心", "service_hall");
    ASSERT_FALSE(hospital_.kiosk_key.empty());
    json key = SendJson("POST", "/v1/orgs/" + hospital_.id + "/admin-keys", {{"name", "his"}},
                        admin_, 201);
    hospital_admin_ = key.value("api_key", "");
    json other_key = SendJson("POST", "/v1/orgs/" + other_hospital_.id + "/admin-keys",
                              {{"name", "his"}}, admin_, 201);
    other_admin_ = other_key.value("api_key", "");
    // Each hospital issues its visits' summaries as health records, and may
    // read its patients' health records under their consent.
    int serial = 0;
    for (const OrgSetup* h : {&hospital_, &other_hospital_}) {
      SendJson("POST", "/v1/orgs/" + h->id + "/vault/issuer",
               {{"credit_code", "12370282MB000000" + std::to_string(++serial) + "A"},
                {"name", "医院" + std::to_string(serial)}},
               admin_, 200);
      SendJson("POST", "/v1/orgs/" + h->id + "/vault/types",
               {{"may_request", {"visit_summary", "lab_result"}}}, admin_, 200);
    }
    // The hospital's admin registers its kiosk; the platform's admin the other's.
    GiveRole(hospital_, hospital_.kiosk_id, "kiosk", hospital_admin_);
    GiveRole(other_hospital_, other_hospital_.kiosk_id, "kiosk", admin_);
    ASSERT_NO_FATAL_FAILURE(SetUpClinician());
    ASSERT_NO_FATAL_FAILURE(SetUpCitizen());
  }

  OrgSetup NewOrg(std::string_view name, std::string_view kind) {
    OrgSetup out;
    json org = SendJson("POST", "/v1/orgs", {{"name", name}, {"kind", kind}}, admin_, 201);
    out.id = org.value("id", "");
    json site =
        SendJson("POST", "/v1/orgs/" + out.id + "/sites", {{"name", "门诊楼"}}, admin_, 201);
    out.site_id = site.value("id", "");
    json terminal = SendJson("POST", "/v1/orgs/" + out.id + "/terminals",
                             {{"site_id", out.site_id}, {"name", "挂号机1"}}, admin_, 201);
    out.kiosk_id = terminal.value("id", "");
    out.kiosk_key = terminal.value("api_key", "");
    return out;
  }

  // Gives the terminal its role at the hospital, as `key` (an admin's).
  json GiveRole(const OrgSetup& org, const std::string& terminal_id, std::string_view role,
                const std::string& key, std::string_view clinician_id = "") {
    json body = {{"terminal_id", terminal_id}, {"role", role}};
    if (!clinician_id.empty()) body["clinician_id"] = clinician_id;
    return SendJson("POST", "/v1/orgs/" + org.id + "/medical/terminals", body, key, 200);
  }

  // A new terminal of the hospital at its site: its id and key.
  std::pair<std::string, std::string> NewTerminal(std::string_view name) {
    json made = SendJson("POST", "/v1/orgs/" + hospital_.id + "/terminals",
                         {{"site_id", hospital_.site_id}, {"name", name}}, admin_, 201);
    return {made.value("id", ""), made.value("api_key", "")};
  }

  // The hospital's own administrator sets up 内科 and a clinician.
  void SetUpClinician() {
    json department = SendJson("POST", "/v1/orgs/" + hospital_.id + "/medical/departments",
                               {{"name", "内科"}}, hospital_admin_, 201);
    department_id_ = department.value("id", "");
    ASSERT_FALSE(department_id_.empty()) << department;
    json clinician =
        SendJson("POST", "/v1/orgs/" + hospital_.id + "/medical/clinicians",
                 {{"name", "王医生"}, {"title", "主任医师"}, {"department_id", department_id_}},
                 hospital_admin_, 201);
    clinician_id_ = clinician.value("id", "");
    ASSERT_FALSE(clinician_id_.empty()) << clinician;
  }

  // Registers, logs in, verifies the identity online and enrols a phone.
  void SetUpCitizen() {
    RegisterCitizen(kCitizenName, kIdNumber, kPhone, kPassword);
    session_ = Login(kPhone);
    ASSERT_FALSE(session_.empty());
    ASSERT_NO_FATAL_FAILURE(VerifyIdentity(session_, kCitizenName, kIdNumber));
    json enrolled = SendJson("POST", "/v1/me/devices",
                             {{"public_key", device_key_.public_key().ToPem()}, {"label", "phone"}},
                             session_, 201, {{"X-Channel-Key", channel_}});
    auto credential = Base64UrlDecode(enrolled.value("credential", ""));
    ASSERT_TRUE(credential.ok() && !credential->empty()) << enrolled;
    credential_ = *credential;
  }

  std::string Login(std::string_view phone) {
    json session =
        SendJson("POST", "/v1/sessions", {{"phone", phone}, {"password", kPassword}}, {}, 201);
    return session.value("token", "");
  }

  // A citizen made through the library (the SMS limits would stop fifty
  // registrations from one address), verified in person unless `verified`
  // is false, logged in over HTTP.
  std::string CitizenSession(int serial, bool verified = true) {
    const std::string phone = "1391230" + std::to_string(1000 + serial);
    const std::string id_number = IdNumber(serial);
    auto id = service_->platform().citizens().Register({.name = "测试市民",
                                                        .id_number = id_number,
                                                        .phone = phone,
                                                        .password = std::string(kPassword)});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return "";
    if (verified) {
      auto confirmed = service_->platform().identities().ConfirmInPerson(
          *id, {"测试市民", id_number}, "term_test_window");
      EXPECT_TRUE(confirmed.ok()) << confirmed.status().ToString();
    }
    return Login(phone);
  }

  // The civil-affairs agency issues a guardianship certificate naming the
  // citizen guardian of `name`, `id_number`; the citizen adds the child as a
  // dependant. The answer to POST /v1/me/dependants.
  json AddDependant(std::string_view name, std::string_view id_number) {
    const crypto::PrivateKey agency_key =
        *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
    json agency = SendJson("POST", "/v1/orgs",
                           {{"name", "即墨区民政局"}, {"kind", "issuing_agency"}}, admin_, 201);
    const std::string agency_id = agency.value("id", "");
    SendJson("POST", "/v1/orgs/" + agency_id + "/vault/issuer",
             {{"credit_code", "11370282MB7654321X"}, {"name", "即墨区民政局"}}, admin_, 200);
    SendJson("POST", "/v1/orgs/" + agency_id + "/vault/issuer/keys",
             {{"public_key", agency_key.public_key().ToPem()}}, admin_, 201);
    const std::string agency_admin =
        SendJson("POST", "/v1/orgs/" + agency_id + "/admin-keys", {{"name", "agency"}}, admin_, 201)
            .value("api_key", "");
    auto guardianship = vault::SampleCertificate(
        *vault::FindCertificateType("guardianship_certificate"),
        {.name = std::string(name), .id_number = std::string(id_number)},
        {.name = "即墨区民政局", .credit_code = "11370282MB7654321X"}, 1, "2024-03-01", "");
    EXPECT_TRUE(guardianship.ok());
    if (!guardianship.ok()) return nullptr;
    guardianship->fields = {{"guardian_name", std::string(kCitizenName)},
                            {"guardian_id_number", std::string(kIdNumber)},
                            {"relationship", "母亲"},
                            {"ward_kind", "minor"}};
    SendJson("POST", "/v1/vault/certificates",
             {{"certificate",
               vault::CertificateToJson(*vault::SignCertificate(*guardianship, agency_key))}},
             agency_admin, 201);
    return SendJson("POST", "/v1/me/dependants", {{"name", name}, {"id_number", id_number}},
                    session_, 201);
  }

  std::string Code() { return FreshCode(credential_, device_key_, clock_.Now(), counter_); }

  // A session of the clinician; the answer's slots.
  json Schedule(std::string_view day, std::string_view start, std::string_view end, int capacity) {
    json schedule = SendJson("POST", "/v1/orgs/" + hospital_.id + "/medical/schedules",
                             {{"clinician_id", clinician_id_},
                              {"day", day},
                              {"start", start},
                              {"end", end},
                              {"slot_minutes", 30},
                              {"capacity", capacity},
                              {"fee_fen", 1000}},
                             hospital_admin_, 201);
    EXPECT_TRUE(schedule["slots"].is_array()) << schedule;
    return schedule.value("slots", json::array());
  }

  // The other hospital's 内科 with 李医生 and a session today 16:00-17:00
  // of two slots (two places each); the clinician's id and the session.
  std::pair<std::string, json> OtherHospitalSession() {
    json department = SendJson("POST", "/v1/orgs/" + other_hospital_.id + "/medical/departments",
                               {{"name", "内科"}}, other_admin_, 201);
    json clinician =
        SendJson("POST", "/v1/orgs/" + other_hospital_.id + "/medical/clinicians",
                 {{"name", "李医生"}, {"title", "主治医师"}, {"department_id", department["id"]}},
                 other_admin_, 201);
    json session = SendJson("POST", "/v1/orgs/" + other_hospital_.id + "/medical/schedules",
                            {{"clinician_id", clinician["id"]},
                             {"day", "2026-08-06"},
                             {"start", "16:00"},
                             {"end", "17:00"},
                             {"slot_minutes", 30},
                             {"capacity", 2},
                             {"fee_fen", 500}},
                            other_admin_, 201);
    return {clinician.value("id", ""), session};
  }

  std::int64_t Booked(const std::string& slot_id) {
    return QueryInt("SELECT booked FROM medical_slots WHERE id = '" + slot_id + "'");
  }

  std::map<std::string, std::int64_t> Counts() {
    auto counts = RowCounts(kMedicalTables);
    counts["booked"] =
        QueryInt("SELECT CAST(COALESCE(SUM(booked), 0) AS BIGINT) FROM medical_slots");
    counts["closed"] = QueryInt(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM medical_encounters WHERE closed_at IS NOT NULL");
    counts["dispensed"] = QueryInt(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM medical_prescriptions WHERE dispensed_at IS NOT "
        "NULL");
    counts["queued"] =
        QueryInt("SELECT CAST(COALESCE(SUM(next), 0) AS BIGINT) FROM medical_pharmacy_counters");
    return counts;
  }

  std::string Book(const std::string& slot_id, std::string_view session, int status) {
    json booked =
        SendJson("POST", "/v1/me/medical/appointments", {{"slot_id", slot_id}}, session, status);
    return booked.value("id", "");
  }

  // What the service's upkeep thread does for the scene.
  void RunMedicalUpkeep() {
    const auto& names = service_->city().scene_names();
    const auto& scenes = service_->city().scenes();
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] != "medical") continue;
      const Status done = scenes[i]->Upkeep();
      ASSERT_TRUE(done.ok()) << done.ToString();
      return;
    }
    FAIL() << "no medical scene";
  }

  ManualClock clock_{kStart};
  const crypto::PrivateKey device_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  OrgSetup hospital_, other_hospital_, hall_;
  std::string hospital_admin_, other_admin_, department_id_, clinician_id_, session_;
  Bytes credential_;
  std::uint64_t counter_ = 0;
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_MEDICAL_SERVICE_TEST_H_
