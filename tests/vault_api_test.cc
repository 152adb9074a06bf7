// The vault and the service hall through the HTTP API, end to end, on SQLite
// and PostgreSQL: an issuing agency pushes certificates, a hall's window
// fetches them under a presentation grant, other organisations are refused
// (and every refusal shows in the citizen's access history), bad input
// changes nothing, and the audit log of the whole run verifies.
//
// The service runs in-process on a ManualClock, so grant expiry is tested by
// moving the clock, never by sleeping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "api_client/http_client.h"
#include "code/presentation.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "server/service.h"
#include "tests/support/service_test.h"
#include "vault/audit.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode {
namespace {

using api_client::HttpReply;
using nlohmann::json;

// Fictional people and agencies; the ID numbers carry valid check characters.
constexpr std::string_view kCitizenName = "测试市民丙";
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kPhone = "13912345678";
constexpr std::string_view kAgencyName = "即墨区公安分局";
constexpr std::string_view kIssuerName = "青岛市公安局即墨分局";
constexpr std::string_view kAgencyCode = "11370282MB1234567X";
constexpr std::string_view kHallName = "即墨区行政审批服务局";
constexpr std::string_view kHotelName = "即墨示例大酒店";
constexpr std::string_view kBankName = "即墨示例农商银行";
constexpr std::string_view kItemName = "户口迁移";
constexpr std::string_view kItemCode = "hukou-transfer";

const Instant kStart = FromUnixSeconds(1'786'000'000);  // 2026-08-06 15:06 in Jimo

// The tables the vault's routes write.
constexpr const char* kVaultTables[] = {"vault_certificates", "vault_grants", "audit_log"};

std::string TypeCode(std::string_view key) { return vault::FindCertificateType(key)->code; }

struct OrgSetup {
  std::string id;
  std::string site_id;
  std::string terminal_id;
  std::string terminal_key;
};

class VaultApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("vault-api");
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));

    SetUpAgency();
    if (HasFatalFailure()) return;
    SetUpCitizen();
    if (HasFatalFailure()) return;
    PushCertificates();
    if (HasFatalFailure()) return;
    SetUpHall();
  }

  std::map<std::string, std::int64_t> VaultRowCounts() { return RowCounts(kVaultTables); }

  // --- the world ---

  // An organisation of `kind` with one site and one terminal.
  OrgSetup NewOrg(std::string_view name, std::string_view kind, std::string_view terminal) {
    OrgSetup out;
    json org = SendJson("POST", "/v1/orgs", {{"name", name}, {"kind", kind}}, admin_, 201);
    out.id = org.value("id", "");
    json site = SendJson("POST", "/v1/orgs/" + out.id + "/sites", {{"name", "总部"}}, admin_, 201);
    out.site_id = site.value("id", "");
    std::tie(out.terminal_id, out.terminal_key) = NewTerminal(out.id, out.site_id, terminal);
    return out;
  }

  // {terminal id, its API key}.
  std::pair<std::string, std::string> NewTerminal(const std::string& org, const std::string& site,
                                                  std::string_view name) {
    json terminal = SendJson("POST", "/v1/orgs/" + org + "/terminals",
                             {{"site_id", site}, {"name", name}}, admin_, 201);
    return {terminal.value("id", ""), terminal.value("api_key", "")};
  }

  std::string OrgAdminKey(const std::string& org) {
    json key = SendJson("POST", "/v1/orgs/" + org + "/admin-keys", {{"name", "it"}}, admin_, 201);
    return key.value("api_key", "");
  }

  void SetVaultTypes(const std::string& org, const std::vector<std::string>& may_request,
                     const std::vector<std::string>& on_presentation) {
    json set =
        SendJson("POST", "/v1/orgs/" + org + "/vault/types",
                 {{"may_request", may_request}, {"on_presentation", on_presentation}}, admin_, 200);
    std::vector<std::string> expected;
    for (const auto& key : may_request) expected.push_back(TypeCode(key));
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> shown;
    for (const auto& key : on_presentation) shown.push_back(TypeCode(key));
    std::sort(shown.begin(), shown.end());
    // The answer shows the types as set (not as they were before).
    EXPECT_EQ(set["may_request"], json(expected)) << set;
    EXPECT_EQ(set["on_presentation"], json(shown)) << set;
    json got = SendJson("GET", "/v1/orgs/" + org + "/vault/types", nullptr, admin_, 200);
    EXPECT_EQ(got["may_request"], json(expected)) << got;
    EXPECT_EQ(got["on_presentation"], json(shown)) << got;
  }

  // The agency, registered as issuer with its key, and its org-admin key.
  void SetUpAgency() {
    json org = SendJson("POST", "/v1/orgs", {{"name", kAgencyName}, {"kind", "issuing_agency"}},
                        admin_, 201);
    agency_id_ = org.value("id", "");
    ASSERT_FALSE(agency_id_.empty());
    json issuer = SendJson("POST", "/v1/orgs/" + agency_id_ + "/vault/issuer",
                           {{"credit_code", kAgencyCode}, {"name", kIssuerName}}, admin_, 200);
    EXPECT_EQ(issuer["credit_code"], kAgencyCode) << issuer;
    EXPECT_EQ(issuer["org_id"], agency_id_);
    json key = SendJson("POST", "/v1/orgs/" + agency_id_ + "/vault/issuer/keys",
                        {{"public_key", agency_key_.public_key().ToPem()}}, admin_, 201);
    EXPECT_EQ(key["key_id"], ToHex(agency_key_.public_key().key_id())) << key;
    agency_admin_ = OrgAdminKey(agency_id_);
    ASSERT_FALSE(agency_admin_.empty());
  }

  // Registers, logs in, verifies the identity online and enrols a phone.
  void SetUpCitizen() {
    RegisterCitizen(kCitizenName, kIdNumber, kPhone, "correct horse");
    json session = SendJson("POST", "/v1/sessions",
                            {{"phone", kPhone}, {"password", "correct horse"}}, {}, 201);
    session_ = session.value("token", "");
    ASSERT_FALSE(session_.empty());
    ASSERT_NO_FATAL_FAILURE(VerifyIdentity(session_, kCitizenName, kIdNumber));
    json enrolled = SendJson("POST", "/v1/me/devices",
                             {{"public_key", device_key_.public_key().ToPem()}, {"label", "phone"}},
                             session_, 201, {{"X-Channel-Key", channel_}});
    auto credential = Base64UrlDecode(enrolled.value("credential", ""));
    ASSERT_TRUE(credential.ok() && !credential->empty()) << enrolled;
    credential_ = *credential;
  }

  // A fresh live code: now, with its own counter.
  std::string Code() { return CodeOf(credential_, device_key_); }

  std::string CodeOf(const Bytes& credential, const crypto::PrivateKey& device_key) {
    auto bytes = code::MakePresentation(
        {.credential = credential, .made_at = clock_.Now(), .counter = ++counter_}, device_key);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? code::ToQrText(*bytes) : std::string();
  }

  vault::SignedCertificate SignedSample(std::string_view type_key, std::uint64_t serial,
                                        std::string_view valid_until,
                                        const crypto::PrivateKey& key) {
    return SignedFor({.name = std::string(kCitizenName), .id_number = std::string(kIdNumber)},
                     type_key, serial, valid_until, key);
  }

  // A certificate of `holder` from the agency, changed by `edit` before it
  // is signed.
  vault::SignedCertificate SignedFor(const vault::SampleHolder& holder, std::string_view type_key,
                                     std::uint64_t serial, std::string_view valid_until,
                                     const crypto::PrivateKey& key,
                                     const std::function<void(vault::Certificate&)>& edit = {}) {
    auto certificate = vault::SampleCertificate(
        *vault::FindCertificateType(type_key), holder,
        {.name = std::string(kIssuerName), .credit_code = std::string(kAgencyCode)}, serial,
        "2024-03-01", valid_until);
    EXPECT_TRUE(certificate.ok()) << certificate.status().ToString();
    if (edit) edit(*certificate);
    auto signed_certificate = vault::SignCertificate(*certificate, key);
    EXPECT_TRUE(signed_certificate.ok()) << signed_certificate.status().ToString();
    return *signed_certificate;
  }

  // The agency pushes `c`; the answer's outcome.
  std::string Push(const vault::SignedCertificate& c, int status) {
    json pushed = SendJson("POST", "/v1/vault/certificates",
                           {{"certificate", vault::CertificateToJson(c)}}, agency_admin_, status);
    EXPECT_EQ(pushed["identifier"], c.certificate.identifier) << pushed;
    return pushed.value("outcome", "");
  }

  // The agency pushes the citizen's ID card and household register.
  void PushCertificates() {
    id_card_ = SignedSample("resident_id_card", 1001, "2044-03-01", agency_key_);
    household_ = SignedSample("household_register", 1002, "", agency_key_);
    for (const vault::SignedCertificate* c : {&id_card_, &household_}) {
      json pushed = SendJson("POST", "/v1/vault/certificates",
                             {{"certificate", vault::CertificateToJson(*c)}}, agency_admin_, 201);
      EXPECT_EQ(pushed["outcome"], "created") << pushed;
      ASSERT_EQ(pushed["identifier"], c->certificate.identifier) << pushed;
    }
  }

  // The district hall: types, a site with a kiosk and a window, an item
  // needing both certificates, the window registered for it.
  void SetUpHall() {
    hall_ = NewOrg(kHallName, "service_hall", "取号机1");
    ASSERT_FALSE(hall_.id.empty());
    kiosk_key_ = hall_.terminal_key;
    SetVaultTypes(hall_.id, {"resident_id_card", "household_register"},
                  {"resident_id_card", "household_register"});
    std::tie(window_id_, window_key_) = NewTerminal(hall_.id, hall_.site_id, "3号窗口");
    json item =
        SendJson("POST", "/v1/orgs/" + hall_.id + "/gov/service-items",
                 {{"code", kItemCode},
                  {"name", kItemName},
                  {"required_types", json::array({"resident_id_card", "household_register"})}},
                 admin_, 201);
    item_id_ = item.value("id", "");
    ASSERT_FALSE(item_id_.empty()) << item;
    EXPECT_EQ(item["required_types"].size(), 2u) << item;
    json window = SendJson("POST", "/v1/orgs/" + hall_.id + "/gov/windows",
                           {{"terminal_id", window_id_}, {"name", "3号窗口"}}, admin_, 200);
    EXPECT_EQ(window["terminal_id"], window_id_) << window;
    EXPECT_EQ(window["site_id"], hall_.site_id);
  }

  // The grant a valid code verified at `terminal_key` makes.
  json VerifyForGrant(const std::string& terminal_key) {
    json verified = SendJson("POST", "/v1/verify", {{"code", Code()}}, terminal_key, 200);
    EXPECT_EQ(verified["valid"], true) << verified;
    EXPECT_TRUE(verified.contains("consent_grant")) << verified;
    return verified.value("consent_grant", json::object());
  }

  json History() {
    json history = SendJson("GET", "/v1/me/access-history", nullptr, session_, 200);
    EXPECT_TRUE(history["history"].is_array()) << history;
    return history.value("history", json::array());
  }

  // The newest history entry with `action` and `reason` (empty: any).
  json Entry(const json& history, std::string_view action, std::string_view reason = {}) {
    for (const json& entry : history) {
      if (entry.value("action", "") == action &&
          (reason.empty() || entry.value("reason", "") == reason)) {
        return entry;
      }
    }
    ADD_FAILURE() << "no " << action << " " << reason << " in " << history.dump(1);
    return json::object();
  }

  // A refusal in the history: who, why, for what, when.
  void ExpectRefusalInHistory(std::string_view reason, const std::string& org_id,
                              std::string_view org_name, std::string_view use_cause) {
    json entry = Entry(History(), "fetch.refused", reason);
    EXPECT_EQ(entry["org_id"], org_id) << entry;
    EXPECT_EQ(entry["org_name"], org_name) << entry;
    EXPECT_EQ(entry["purpose"], use_cause) << entry;
    EXPECT_EQ(entry["at"], FormatRfc3339(clock_.Now())) << entry;
    EXPECT_FALSE(entry.contains("certificates")) << entry;
  }

  crypto::PublicKey VaultPublicKey() {
    json doc = SendJson("GET", "/v1/vault/public-key", nullptr, {}, 200);
    auto key = crypto::PublicKey::FromPem(doc.value("public_key", ""));
    EXPECT_TRUE(key.ok()) << doc;
    EXPECT_EQ(doc["key_id"], ToHex(key->key_id()));
    return *key;
  }

  // A release as /v1/vault/fetch answers it, its signature checked with
  // the vault's published key; returns the signed JSON.
  json CheckedRelease(const json& answer) {
    const std::string text = answer.value("release", "");
    auto signature = Base64UrlDecode(answer.value("signature", ""));
    EXPECT_TRUE(signature.ok()) << answer;
    const crypto::PublicKey key = VaultPublicKey();
    EXPECT_EQ(answer["key_id"], ToHex(key.key_id()));
    EXPECT_TRUE(signature.ok() && key.Verify(AsBytes(text), *signature)) << answer;
    return json::parse(text, nullptr, false);
  }

  // The certificates in a release or a case, each verified with the
  // agency's key; returns their identifiers.
  std::vector<std::string> VerifiedCertificates(const json& certificates) {
    std::vector<std::string> identifiers;
    for (const json& c : certificates) {
      auto parsed = vault::CertificateFromJson(c);
      EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
      if (!parsed.ok()) continue;
      EXPECT_TRUE(vault::VerifyCertificateSignature(*parsed, agency_key_.public_key()))
          << parsed->certificate.identifier;
      EXPECT_EQ(parsed->certificate.holder_id_number, kIdNumber);
      identifiers.push_back(parsed->certificate.identifier);
    }
    return identifiers;
  }

  // The whole run's audit log verifies with the vault key and the checkpoint
  // file, once checkpointed through the API and again after a clean stop.
  void ExpectAuditLogVerifies() {
    const crypto::PublicKey key = VaultPublicKey();
    json checkpoint = SendJson("POST", "/v1/audit/checkpoint", nullptr, admin_, 200);
    ASSERT_TRUE(config_.vault.checkpoint_file.has_value());
    auto report =
        vault::VerifyAuditLog(db(), key, vault::AuditHash::kSha256, config_.vault.checkpoint_file);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok) << report->problem;
    EXPECT_EQ(report->entries, checkpoint.value("seq", -1)) << checkpoint;
    EXPECT_GE(report->checkpoints, 2) << "the database's and the file's";
    EXPECT_TRUE(std::filesystem::exists(*config_.vault.checkpoint_file));

    service_->Stop();
    auto after_stop =
        vault::VerifyAuditLog(db(), key, vault::AuditHash::kSha256, config_.vault.checkpoint_file);
    ASSERT_TRUE(after_stop.ok()) << after_stop.status().ToString();
    EXPECT_TRUE(after_stop->ok) << after_stop->problem;
  }

  ManualClock clock_{kStart};

  const crypto::PrivateKey agency_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::string agency_id_, agency_admin_;

  const crypto::PrivateKey device_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::string session_;
  Bytes credential_;
  std::uint64_t counter_ = 0;

  vault::SignedCertificate id_card_, household_;

  OrgSetup hall_;
  std::string kiosk_key_, window_id_, window_key_, item_id_;
};

// Acceptance: an agency pushes (idempotently), the citizen takes a number at
// the kiosk, the window calls it and opens a case with a new code; the case
// shows both certificates with valid issuer signatures and a signed release;
// the citizen sees the fetch and the certificates.
TEST_P(VaultApiTest, AWindowServesTheAgencysCertificatesAndTheCitizenSeesTheFetch) {
  // The same certificates again: 200, unchanged, nothing written.
  const auto before_repush = VaultRowCounts();
  for (const vault::SignedCertificate* c : {&id_card_, &household_}) {
    json again = SendJson("POST", "/v1/vault/certificates",
                          {{"certificate", vault::CertificateToJson(*c)}}, agency_admin_, 200);
    EXPECT_EQ(again["outcome"], "unchanged") << again;
    EXPECT_EQ(again["identifier"], c->certificate.identifier);
  }
  EXPECT_EQ(VaultRowCounts(), before_repush);

  // Each hall terminal knows what it is: the kiosk no window, the window its own.
  const json kiosk = SendJson("GET", "/v1/gov/terminal", nullptr, kiosk_key_, 200);
  EXPECT_TRUE(kiosk["window"].is_null()) << kiosk;
  ASSERT_EQ(kiosk["service_items"].size(), 1u) << kiosk;
  EXPECT_EQ(kiosk["service_items"][0]["id"], item_id_);
  const json window = SendJson("GET", "/v1/gov/terminal", nullptr, window_key_, 200);
  EXPECT_EQ(window["window"]["terminal_id"], window_id_) << window;
  EXPECT_EQ(window["service_items"][0]["id"], item_id_);

  // 扫码取号 at the kiosk.
  json ticket = SendJson("POST", "/v1/gov/tickets", {{"qr", Code()}, {"service_item", item_id_}},
                         kiosk_key_, 201);
  EXPECT_EQ(ticket["number"], "A001") << ticket;
  EXPECT_EQ(ticket["state"], "waiting");
  EXPECT_EQ(ticket["service_item"]["id"], item_id_);
  EXPECT_EQ(ticket["waiting_before"], 0);
  const std::string ticket_id = ticket.value("id", "");

  // The window calls it.
  json called = SendJson("POST", "/v1/gov/call", nullptr, window_key_, 200);
  ASSERT_TRUE(called["ticket"].is_object()) << called;
  EXPECT_EQ(called["ticket"]["id"], ticket_id);
  EXPECT_EQ(called["ticket"]["state"], "called");
  EXPECT_EQ(called["ticket"]["window"]["terminal_id"], window_id_);

  // 亮码办事: a new code at the window opens the case; the clerk signed in
  // there is named in the audit log beside the window.
  const std::string hall_admin = OrgAdminKey(hall_.id);
  const json clerk = SendJson(
      "POST", "/v1/orgs/" + hall_.id + "/staff",
      {{"login", "clerk1"}, {"name", "窗口人员"}, {"password", "counter-1"}}, hall_admin, 201);
  const std::string staff_session =
      SendJson("POST", "/v1/terminal/staff-sessions",
               {{"login", "clerk1"}, {"password", "counter-1"}}, window_key_, 201)["token"];
  json opened = SendJson("POST", "/v1/gov/cases", {{"qr", Code()}, {"ticket_id", ticket_id}},
                         window_key_, 201, {{"X-Staff-Session", staff_session}});
  {
    auto tx = db().Begin(store::TransactionMode::kRead);
    ASSERT_TRUE(tx.ok());
    auto actor = (*tx)->QueryOne(
        "SELECT actor FROM audit_log WHERE action = 'certificate.fetch' ORDER BY seq DESC LIMIT 1");
    ASSERT_TRUE(actor.ok()) << actor.status().ToString();
    EXPECT_EQ(actor->Text(0), window_id_ + " " + clerk["id"].get<std::string>());
  }
  EXPECT_EQ(opened["state"], "open") << opened;
  EXPECT_EQ(opened["org_id"], hall_.id);
  EXPECT_EQ(opened["window_terminal_id"], window_id_);
  EXPECT_EQ(opened["ticket"]["id"], ticket_id);
  EXPECT_EQ(opened["service_item"]["code"], kItemCode);
  EXPECT_EQ(opened["missing"], json::array()) << opened;
  ASSERT_EQ(opened["served"].size(), 2u) << opened;
  std::map<std::string, std::string> served;  // type code -> identifier
  for (const json& s : opened["served"]) {
    EXPECT_EQ(s["signature_valid"], true) << s;
    EXPECT_EQ(s["in_validity"], true) << s;
    served[s.value("type_code", "")] = s.value("identifier", "");
  }
  EXPECT_EQ(served, (std::map<std::string, std::string>{
                        {TypeCode("resident_id_card"), id_card_.certificate.identifier},
                        {TypeCode("household_register"), household_.certificate.identifier}}));
  // The certificates themselves, checked here with the agency's key.
  ASSERT_EQ(opened["certificates"].size(), 2u) << opened;
  EXPECT_THAT(VerifiedCertificates(opened["certificates"]),
              ::testing::UnorderedElementsAre(id_card_.certificate.identifier,
                                              household_.certificate.identifier));
  // The vault's release: signed with its published key, naming the hall and
  // the use-cause, holding the same two certificates.
  const json& release = opened["release"];
  const std::string release_text = release.value("json", "");
  auto release_signature = Base64UrlDecode(release.value("signature", ""));
  ASSERT_TRUE(release_signature.ok()) << release;
  const crypto::PublicKey vault_key = VaultPublicKey();
  EXPECT_EQ(release["key_id"], ToHex(vault_key.key_id()));
  EXPECT_TRUE(vault_key.Verify(AsBytes(release_text), *release_signature));
  std::string tampered = release_text;
  tampered.replace(tampered.find(hall_.id), hall_.id.size(), std::string(hall_.id.size(), 'x'));
  EXPECT_FALSE(vault_key.Verify(AsBytes(tampered), *release_signature));
  json signed_release = json::parse(release_text, nullptr, false);
  const std::string use_cause = std::string(kItemName) + " (" + std::string(kItemCode) + ")";
  EXPECT_EQ(signed_release["release_id"], opened["release_id"]);
  EXPECT_EQ(signed_release["org_id"], hall_.id);
  EXPECT_EQ(signed_release["terminal_id"], window_id_);
  EXPECT_EQ(signed_release["use_cause"], use_cause);
  EXPECT_EQ(signed_release["fetched_at"], FormatRfc3339(clock_.Now()));
  EXPECT_THAT(VerifiedCertificates(signed_release["certificates"]),
              ::testing::UnorderedElementsAre(id_card_.certificate.identifier,
                                              household_.certificate.identifier));

  // The stored case keeps the checks, not the certificates.
  json stored =
      SendJson("GET", "/v1/gov/cases/" + opened.value("id", ""), nullptr, window_key_, 200);
  EXPECT_EQ(stored["served"], opened["served"]);
  EXPECT_FALSE(stored.contains("certificates"));

  // The citizen's access history: the hall fetched both, for the item, now.
  const json history = History();
  json fetch = Entry(history, "certificate.fetch");
  EXPECT_EQ(fetch["org_id"], hall_.id) << fetch;
  EXPECT_EQ(fetch["org_name"], kHallName);
  EXPECT_EQ(fetch["purpose"], use_cause);
  EXPECT_EQ(fetch["at"], FormatRfc3339(clock_.Now()));
  EXPECT_THAT(fetch["certificates"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre(id_card_.certificate.identifier,
                                              household_.certificate.identifier));
  json granted = Entry(history, "consent.presentation");
  EXPECT_EQ(granted["org_id"], hall_.id);
  EXPECT_GT(fetch["seq"], granted["seq"]) << "newest first, the grant before the fetch";

  // And the certificates in their own list.
  json mine = SendJson("GET", "/v1/me/certificates", nullptr, session_, 200);
  ASSERT_EQ(mine["certificates"].size(), 2u) << mine;
  std::map<std::string, std::string> listed;  // identifier -> type code
  for (const json& c : mine["certificates"]) {
    EXPECT_EQ(c["status"], "valid") << c;
    EXPECT_EQ(c["issuer_name"], kIssuerName);
    listed[c.value("identifier", "")] = c.value("type_code", "");
  }
  EXPECT_EQ(listed, (std::map<std::string, std::string>{
                        {id_card_.certificate.identifier, TypeCode("resident_id_card")},
                        {household_.certificate.identifier, TypeCode("household_register")}}));

  ExpectAuditLogVerifies();
}

// Acceptance 2a: a hotel cannot use the hall's grant, nor fetch a type its
// own presentation grant does not cover; both refusals are in the history,
// and neither used up a grant.
TEST_P(VaultApiTest, AHotelGetsNeitherTheHallsGrantNorAnUnconsentedType) {
  const OrgSetup hotel = NewOrg(kHotelName, "hotel", "前台1");
  SetVaultTypes(hotel.id, {"resident_id_card"}, {"resident_id_card"});

  // The hall's grant, from a code verified at its kiosk.
  const json hall_grant = VerifyForGrant(kiosk_key_);
  const std::string hall_grant_id = hall_grant.value("id", "");
  EXPECT_EQ(hall_grant["types"],
            json::array({TypeCode("resident_id_card"), TypeCode("household_register")}))
      << hall_grant;

  const auto before = VaultRowCounts();
  ExpectRefused("POST", "/v1/vault/fetch",
                json({{"grant_id", hall_grant_id}, {"use_cause", "入住登记"}}).dump(),
                hotel.terminal_key, 403, "consent_missing");
  ExpectRefusalInHistory("consent_missing", hotel.id, kHotelName, "入住登记");

  // The hotel's own grant covers the ID card only.
  const json hotel_grant = VerifyForGrant(hotel.terminal_key);
  const std::string hotel_grant_id = hotel_grant.value("id", "");
  EXPECT_EQ(hotel_grant["types"], json::array({TypeCode("resident_id_card")})) << hotel_grant;
  EXPECT_EQ(hotel_grant["expires_at"], FormatRfc3339(clock_.Now() + std::chrono::minutes(10)));
  ExpectRefused("POST", "/v1/vault/fetch",
                json({{"grant_id", hotel_grant_id},
                      {"types", json::array({"household_register"})},
                      {"use_cause", "入住登记"}})
                    .dump(),
                hotel.terminal_key, 403, "type_not_consented");
  ExpectRefusalInHistory("type_not_consented", hotel.id, kHotelName, "入住登记");
  // Refusals write their audit entries and nothing else.
  auto expected = before;
  expected["vault_grants"] += 1;  // the hotel's presentation grant
  expected["audit_log"] += 3;     // two refusals, one grant
  EXPECT_EQ(VaultRowCounts(), expected);

  // Neither refusal used a grant up: the hotel gets the ID card, once.
  json fetched =
      SendJson("POST", "/v1/vault/fetch", {{"grant_id", hotel_grant_id}, {"use_cause", "入住登记"}},
               hotel.terminal_key, 200);
  json release = CheckedRelease(fetched);
  EXPECT_EQ(release["org_id"], hotel.id);
  EXPECT_THAT(VerifiedCertificates(release["certificates"]),
              ::testing::ElementsAre(id_card_.certificate.identifier));
  ExpectRefused("POST", "/v1/vault/fetch",
                json({{"grant_id", hotel_grant_id}, {"use_cause", "入住登记"}}).dump(),
                hotel.terminal_key, 403, "consent_used");
  ExpectRefusalInHistory("consent_used", hotel.id, kHotelName, "入住登记");
  // And the hall's grant still serves the hall.
  json hall_fetched =
      SendJson("POST", "/v1/vault/fetch", {{"grant_id", hall_grant_id}, {"use_cause", "材料核验"}},
               kiosk_key_, 200);
  EXPECT_THAT(VerifiedCertificates(CheckedRelease(hall_fetched)["certificates"]),
              ::testing::UnorderedElementsAre(id_card_.certificate.identifier,
                                              household_.certificate.identifier));

  ExpectAuditLogVerifies();
}

// Acceptance 2b: a presentation grant is good for ten minutes.
TEST_P(VaultApiTest, TheHallsPresentationGrantExpiresAfterTenMinutes) {
  const json grant = VerifyForGrant(kiosk_key_);
  const std::string grant_id = grant.value("id", "");
  ASSERT_FALSE(grant_id.empty()) << grant;
  EXPECT_EQ(grant["expires_at"], FormatRfc3339(kStart + std::chrono::minutes(10)));

  clock_.Advance(std::chrono::minutes(10) + std::chrono::seconds(1));
  ExpectRefused("POST", "/v1/vault/fetch",
                json({{"grant_id", grant_id}, {"use_cause", "材料核验"}}).dump(), kiosk_key_, 403,
                "consent_expired");
  ExpectRefusalInHistory("consent_expired", hall_.id, kHallName, "材料核验");
  // Exactly at expiry is too late as well: a grant made now, fetched at its
  // expires_at.
  const json second = VerifyForGrant(kiosk_key_);
  clock_.Advance(std::chrono::minutes(10));
  ExpectRefused("POST", "/v1/vault/fetch",
                json({{"grant_id", second.value("id", "")}, {"use_cause", "材料核验"}}).dump(),
                kiosk_key_, 403, "consent_expired");

  ExpectAuditLogVerifies();
}

// Acceptance 2c: a standing grant serves its organisation until the citizen
// revokes it.
TEST_P(VaultApiTest, AStandingGrantServesUntilTheCitizenRevokesIt) {
  const OrgSetup bank = NewOrg(kBankName, "access_site", "柜台1");
  SetVaultTypes(bank.id, {"resident_id_card", "household_register"}, {});
  const std::string bank_admin = OrgAdminKey(bank.id);

  // The citizen finds the bank among the organisations that may ask, with
  // what it may ask for; a terminal has no use for the list.
  const json requesters = SendJson("GET", "/v1/vault/requesters", nullptr, session_, 200);
  const auto& listed = requesters["organisations"];
  const auto the_bank = std::find_if(listed.begin(), listed.end(),
                                     [&](const json& org) { return org["org_id"] == bank.id; });
  ASSERT_NE(the_bank, listed.end()) << requesters;
  EXPECT_EQ((*the_bank)["name"], kBankName);
  EXPECT_EQ((*the_bank)["kind"], "access_site");
  EXPECT_THAT((*the_bank)["types"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre(TypeCode("resident_id_card"),
                                              TypeCode("household_register")));
  ExpectRefused("GET", "/v1/vault/requesters", "", bank.terminal_key, 403, "permission_denied");

  json grant = SendJson("POST", "/v1/me/grants",
                        {{"org_id", bank.id},
                         {"types", json::array({"resident_id_card"})},
                         {"purpose", "开立个人账户"},
                         {"expires_at", FormatRfc3339(kStart + std::chrono::days(30))}},
                        session_, 201);
  const std::string grant_id = grant.value("id", "");
  ASSERT_FALSE(grant_id.empty()) << grant;
  EXPECT_EQ(grant["kind"], "standing");
  EXPECT_EQ(grant["types"], json::array({TypeCode("resident_id_card")}));

  // Reusable while it stands.
  for (int i = 0; i < 2; ++i) {
    json fetched = SendJson("POST", "/v1/vault/fetch",
                            {{"grant_id", grant_id}, {"use_cause", "开户核验"}}, bank_admin, 200);
    json release = CheckedRelease(fetched);
    EXPECT_EQ(release["org_id"], bank.id);
    EXPECT_EQ(release["grant_id"], grant_id);
    EXPECT_THAT(VerifiedCertificates(release["certificates"]),
                ::testing::ElementsAre(id_card_.certificate.identifier));
  }
  json fetch = Entry(History(), "certificate.fetch");
  EXPECT_EQ(fetch["org_id"], bank.id);
  EXPECT_EQ(fetch["org_name"], kBankName);
  EXPECT_EQ(fetch["purpose"], "开户核验");

  clock_.Advance(std::chrono::hours(1));
  SendJson("POST", "/v1/me/grants/" + grant_id + "/revoke", nullptr, session_, 200);
  json grants = SendJson("GET", "/v1/me/grants", nullptr, session_, 200);
  ASSERT_EQ(grants["grants"].size(), 1u) << grants;
  EXPECT_EQ(grants["grants"][0]["revoked_at"], FormatRfc3339(clock_.Now()));
  json revoked = Entry(History(), "consent.revoke");
  EXPECT_EQ(revoked["org_id"], bank.id);

  ExpectRefused("POST", "/v1/vault/fetch",
                json({{"grant_id", grant_id}, {"use_cause", "开户核验"}}).dump(), bank_admin, 403,
                "consent_revoked");
  ExpectRefusalInHistory("consent_revoked", bank.id, kBankName, "开户核验");
  // Its terminal is refused the same way.
  ExpectRefused("POST", "/v1/vault/fetch",
                json({{"grant_id", grant_id}, {"use_cause", "开户核验"}}).dump(), bank.terminal_key,
                403, "consent_revoked");

  ExpectAuditLogVerifies();
}

// Acceptance 3: bad input to the vault's routes is a 400 with a machine
// code and changes no certificate, grant or audit entry.
TEST_P(VaultApiTest, BadInputToTheVaultRoutesChangesNothing) {
  const OrgSetup bank = NewOrg(kBankName, "access_site", "柜台1");
  SetVaultTypes(bank.id, {"resident_id_card"}, {});
  const std::string bank_admin = OrgAdminKey(bank.id);
  json grant = SendJson("POST", "/v1/me/grants",
                        {{"org_id", bank.id},
                         {"types", json::array({"resident_id_card"})},
                         {"purpose", "开立个人账户"},
                         {"expires_at", FormatRfc3339(kStart + std::chrono::days(30))}},
                        session_, 201);
  const std::string grant_id = grant.value("id", "");

  // Malformed certificates: a missing member, an unknown one, a bad status.
  json partial = vault::CertificateToJson(id_card_);
  partial.erase("holder_name");
  json extra = vault::CertificateToJson(id_card_);
  extra["comment"] = "x";
  json bad_status = vault::CertificateToJson(id_card_);
  bad_status["status"] = "99";
  // Forged: the stored ID card with another address (same identifier), and a
  // new certificate signed by a key the agency never registered, claiming
  // the registered key's id.
  vault::SignedCertificate changed = id_card_;
  changed.certificate.fields["address"] = "山东省青岛市即墨区伪造路1号";
  const crypto::PrivateKey rogue = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  vault::SignedCertificate rogue_signed =
      SignedSample("driving_licence", 1003, "2030-03-01", rogue);
  rogue_signed.key_id = id_card_.key_id;
  json truncated = vault::CertificateToJson(id_card_);
  truncated["signature"] = truncated["signature"].get<std::string>().substr(0, 40);

  const auto before = VaultRowCounts();
  struct Case {
    std::string target;
    json body;
    std::string token;
    std::string code;
  };
  const std::string me_grants = "/v1/me/grants";
  const std::vector<Case> cases = {
      {"/v1/vault/certificates", {{"certificate", partial}}, agency_admin_, "bad_certificate"},
      {"/v1/vault/certificates", {{"certificate", extra}}, agency_admin_, "bad_certificate"},
      {"/v1/vault/certificates", {{"certificate", bad_status}}, agency_admin_, "bad_certificate"},
      {"/v1/vault/certificates",
       {{"certificate", {{"identifier", 1}}}},
       agency_admin_,
       "bad_certificate"},
      {"/v1/vault/certificates", {{"certificate", "not an object"}}, agency_admin_, "wrong_type"},
      {"/v1/vault/certificates",
       {{"certificate", vault::CertificateToJson(id_card_)}, {"force", true}},
       agency_admin_,
       "unknown_field"},
      {"/v1/vault/certificates",
       {{"certificate", vault::CertificateToJson(changed)}},
       agency_admin_,
       "bad_signature"},
      {"/v1/vault/certificates",
       {{"certificate", vault::CertificateToJson(rogue_signed)}},
       agency_admin_,
       "bad_signature"},
      {"/v1/vault/certificates", {{"certificate", truncated}}, agency_admin_, "bad_signature"},
      {"/v1/vault/fetch",
       {{"grant_id", grant_id}, {"use_cause", "开户核验"}, {"citizen_id", "x"}},
       bank_admin,
       "unknown_field"},
      {"/v1/vault/fetch",
       {{"grant_id", grant_id}, {"use_cause", "开户核验"}, {"types", "resident_id_card"}},
       bank_admin,
       "wrong_type"},
      {"/v1/vault/fetch",
       {{"grant_id", grant_id}, {"use_cause", "开户核验"}, {"types", json::array({1, 2})}},
       bank_admin,
       "wrong_type"},
      {"/v1/vault/fetch", {{"grant_id", grant_id}}, bank_admin, "missing_field"},
      {me_grants,
       {{"org_id", bank.id},
        {"types", "resident_id_card"},
        {"purpose", "p"},
        {"expires_at", FormatRfc3339(kStart + std::chrono::days(1))}},
       session_,
       "wrong_type"},
      {me_grants,
       {{"org_id", bank.id},
        {"types", json::array({"resident_id_card"})},
        {"purpose", "p"},
        {"expires_at", FormatRfc3339(kStart + std::chrono::days(1))},
        {"note", ""}},
       session_,
       "unknown_field"},
      {"/v1/orgs/" + bank.id + "/vault/types",
       {{"may_request", "resident_id_card"}},
       admin_,
       "wrong_type"},
      // Control characters never reach a screen or a log: NUL, a line
      // break, a terminal escape.
      {me_grants,
       {{"org_id", bank.id},
        {"types", json::array({"resident_id_card"})},
        {"purpose", std::string("开户\0核验", 13)},
        {"expires_at", FormatRfc3339(kStart + std::chrono::days(1))}},
       session_,
       "control_character"},
      {me_grants,
       {{"org_id", bank.id},
        {"types", json::array({"resident_id_card"})},
        {"purpose", "开户\n\x1b[31m核验"},
        {"expires_at", FormatRfc3339(kStart + std::chrono::days(1))}},
       session_,
       "control_character"},
      {me_grants,
       {{"org_id", bank.id},
        {"types", json::array({"resident_id_card\r"})},
        {"purpose", "p"},
        {"expires_at", FormatRfc3339(kStart + std::chrono::days(1))}},
       session_,
       "control_character"},
  };
  for (const Case& c : cases) {
    HttpReply reply = Send("POST", c.target, c.body.dump(), c.token);
    EXPECT_EQ(reply.status, 400) << c.target << " " << c.body.dump().substr(0, 120) << ": "
                                 << reply.body;
    EXPECT_EQ(ErrorCode(reply), c.code) << c.target << " " << c.body.dump().substr(0, 120);
  }
  EXPECT_EQ(VaultRowCounts(), before);

  // Nothing changed in substance either: the stored ID card is the signed
  // original, and the grant still serves once.
  json fetched = SendJson("POST", "/v1/vault/fetch",
                          {{"grant_id", grant_id}, {"use_cause", "开户核验"}}, bank_admin, 200);
  json release = CheckedRelease(fetched);
  ASSERT_EQ(release["certificates"].size(), 1u) << release;
  auto served = vault::CertificateFromJson(release["certificates"][0]);
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(*served, id_card_);
  json mine = SendJson("GET", "/v1/me/certificates", nullptr, session_, 200);
  EXPECT_EQ(mine["certificates"].size(), 2u) << "no driving licence was stored";

  ExpectAuditLogVerifies();
}

// A child of the fixture's citizen (8 years old at kStart), and a child who
// turns 14 four days after kStart.
constexpr std::string_view kChildName = "测试儿童丁";
constexpr std::string_view kChildIdNumber = "370282201806112344";
constexpr std::string_view kTeenName = "测试少年戊";
constexpr std::string_view kTeenIdNumber = "37028220120810001X";

// The guardianship certificate the agency issues for `child`, naming the
// fixture's citizen as guardian (a mother).
std::function<void(vault::Certificate&)> NamingTheCitizen() {
  return [](vault::Certificate& c) {
    c.fields["guardian_name"] = std::string(kCitizenName);
    c.fields["guardian_id_number"] = std::string(kIdNumber);
    c.fields["relationship"] = "母亲";
    c.fields["ward_kind"] = "minor";
  };
}

// Acceptance (issue 13): a guardian adds a child on the strength of the
// guardianship certificate; the guardian's phone makes the child's own code,
// which says a guardian holds it and works at a gate and at a hall window
// (the child's certificates reach the case); the guardian sees the child's
// certificates and history. When the agency revokes the certificate, the
// link ends at once: the child's code is revoked and nothing of the child's
// is reachable any more. A citizen with no link reaches nothing.
TEST_P(VaultApiTest, AGuardiansLinkCarriesTheChildsCodeAndCertificatesOnlyWhileItHolds) {
  const vault::SampleHolder child{.name = std::string(kChildName),
                                  .id_number = std::string(kChildIdNumber)};
  const json child_body = {{"name", kChildName}, {"id_number", kChildIdNumber}};
  // No certificate names the citizen as the child's guardian yet.
  ExpectRefused("POST", "/v1/me/dependants", child_body.dump(), session_, 409,
                "no_guardianship_certificate");
  // One naming somebody else does not help either.
  const auto other_guardian = SignedFor(child, "guardianship_certificate", 2000, "", agency_key_,
                                        [](vault::Certificate& c) {
                                          c.fields["guardian_name"] = "测试市民己";
                                          c.fields["guardian_id_number"] = "370282198507071234";
                                        });
  EXPECT_EQ(Push(other_guardian, 201), "created");
  ExpectRefused("POST", "/v1/me/dependants", child_body.dump(), session_, 409,
                "no_guardianship_certificate");

  const auto guardianship = SignedFor(child, "guardianship_certificate", 2001, "2036-06-11",
                                      agency_key_, NamingTheCitizen());
  const auto child_id_card = SignedFor(child, "resident_id_card", 2002, "2028-06-11", agency_key_);
  const auto child_household = SignedFor(child, "household_register", 2003, "", agency_key_);
  for (const auto* c : {&guardianship, &child_id_card, &child_household}) Push(*c, 201);

  json added = SendJson("POST", "/v1/me/dependants", child_body, session_, 201);
  EXPECT_EQ(added["ward_kind"], "minor") << added;
  EXPECT_EQ(added["live"], true);
  EXPECT_EQ(added["certificate"], guardianship.certificate.identifier);
  EXPECT_EQ(added["id_number"], "3702**********2344");
  const std::string dependant = added.value("dependant_id", "");
  ASSERT_FALSE(dependant.empty()) << added;
  ExpectRefused("POST", "/v1/me/dependants", child_body.dump(), session_, 409, "already_exists");
  const std::string base = "/v1/me/dependants/" + dependant;

  // The guardian sees the child's certificates (not the other guardian's
  // certificate's holder's name: it is the same child, so it is listed).
  json certificates = SendJson("GET", base + "/certificates", nullptr, session_, 200);
  EXPECT_EQ(certificates["certificates"].size(), 4u) << certificates;

  // The guardian's phone makes the child's code with a key of its own.
  const crypto::PrivateKey child_key = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  json enrolled = SendJson("POST", base + "/devices",
                           {{"public_key", child_key.public_key().ToPem()}, {"label", "孩子"}},
                           session_, 201, {{"X-Channel-Key", channel_}});
  EXPECT_EQ(enrolled["held_by_guardian"], true) << enrolled;
  const Bytes child_credential = *Base64UrlDecode(enrolled.value("credential", ""));
  json devices = SendJson("GET", base + "/devices", nullptr, session_, 200);
  ASSERT_EQ(devices["devices"].size(), 1u) << devices;
  EXPECT_EQ(devices["devices"][0]["held_by_guardian"], true);

  // It works at a bus gate, which learns a guardian holds it.
  const OrgSetup bus = NewOrg("即墨公交", "transit_operator", "101路1号车");
  json at_gate = SendJson("POST", "/v1/verify", {{"code", CodeOf(child_credential, child_key)}},
                          bus.terminal_key, 200);
  EXPECT_EQ(at_gate["valid"], true) << at_gate;
  EXPECT_EQ(at_gate["held_by_guardian"], true);

  // And at the hall: a number, then a case that gets the child's certificates.
  json ticket = SendJson("POST", "/v1/gov/tickets",
                         {{"qr", CodeOf(child_credential, child_key)}, {"service_item", item_id_}},
                         kiosk_key_, 201);
  SendJson("POST", "/v1/gov/call", nullptr, window_key_, 200);
  json opened =
      SendJson("POST", "/v1/gov/cases",
               {{"qr", CodeOf(child_credential, child_key)}, {"ticket_id", ticket.value("id", "")}},
               window_key_, 201);
  EXPECT_EQ(opened["missing"], json::array()) << opened;
  ASSERT_EQ(opened["certificates"].size(), 2u) << opened;
  for (const json& c : opened["certificates"]) EXPECT_EQ(c["holder_id_number"], kChildIdNumber);
  json history = SendJson("GET", base + "/access-history", nullptr, session_, 200);
  json fetch = Entry(history["history"], "certificate.fetch");
  EXPECT_EQ(fetch["org_id"], hall_.id) << fetch;

  // Nobody else acts for the child.
  RegisterCitizen("测试市民庚", "370282198811111114", "13912340000", "another horse");
  const std::string stranger =
      SendJson("POST", "/v1/sessions", {{"phone", "13912340000"}, {"password", "another horse"}},
               {}, 201)
          .value("token", "");
  ExpectRefused("GET", base + "/certificates", "", stranger, 404, "dependant_not_found");

  // The agency revokes the guardianship: the link ends at once.
  const auto revoked = SignedFor(child, "guardianship_certificate", 2001, "2036-06-11", agency_key_,
                                 [](vault::Certificate& c) {
                                   NamingTheCitizen()(c);
                                   c.status = vault::CertificateStatus::kRevoked;
                                 });
  EXPECT_EQ(Push(revoked, 200), "updated");
  // The older signed state sent again cannot undo the revocation.
  HttpReply replayed =
      Send("POST", "/v1/vault/certificates",
           json({{"certificate", vault::CertificateToJson(guardianship)}}).dump(), agency_admin_);
  EXPECT_EQ(replayed.status, 409) << replayed.body;
  EXPECT_EQ(ErrorCode(replayed), "certificate_final");
  json listed = SendJson("GET", "/v1/me/dependants", nullptr, session_, 200);
  ASSERT_EQ(listed["dependants"].size(), 1u) << listed;
  EXPECT_EQ(listed["dependants"][0]["live"], false);
  EXPECT_EQ(listed["dependants"][0]["end_reason"], "certificate_not_valid");
  ExpectRefused("GET", base + "/certificates", "", session_, 409, "guardianship_ended");
  HttpReply enrol =
      Send("POST", base + "/devices", json({{"public_key", child_key.public_key().ToPem()}}).dump(),
           session_, {{"X-Channel-Key", channel_}});
  EXPECT_EQ(enrol.status, 409) << enrol.body;
  EXPECT_EQ(ErrorCode(enrol), "guardianship_ended");
  json refused = SendJson("POST", "/v1/verify", {{"code", CodeOf(child_credential, child_key)}},
                          bus.terminal_key, 200);
  EXPECT_EQ(refused["valid"], false) << refused;
  EXPECT_EQ(refused["reason"], "credential_revoked");
  ExpectAuditLogVerifies();
}

// A minor's link ends when they turn 14 (they verify on their own from
// then on); a minor of 14 cannot be added.
TEST_P(VaultApiTest, AMinorsLinkEndsAtFourteen) {
  const vault::SampleHolder teen{.name = std::string(kTeenName),
                                 .id_number = std::string(kTeenIdNumber)};
  Push(SignedFor(teen, "guardianship_certificate", 3001, "", agency_key_, NamingTheCitizen()), 201);
  json added = SendJson("POST", "/v1/me/dependants",
                        {{"name", kTeenName}, {"id_number", kTeenIdNumber}}, session_, 201);
  const std::string base = "/v1/me/dependants/" + added.value("dependant_id", "");
  SendJson("GET", base + "/certificates", nullptr, session_, 200);

  clock_.Advance(std::chrono::days(5));  // the 14th birthday has passed
  session_ =
      SendJson("POST", "/v1/sessions", {{"phone", kPhone}, {"password", "correct horse"}}, {}, 201)
          .value("token", "");
  ExpectRefused("GET", base + "/certificates", "", session_, 409, "guardianship_ended");
  json listed = SendJson("GET", "/v1/me/dependants", nullptr, session_, 200);
  EXPECT_EQ(listed["dependants"][0]["end_reason"], "dependant_of_age") << listed;
  ExpectRefused("POST", "/v1/me/dependants",
                json({{"name", kTeenName}, {"id_number", kTeenIdNumber}}).dump(), session_, 409,
                "dependant_too_old");
}

// Concessions come from the verified person's valid certificates: a student
// card gives the student fare, a disability certificate the disabled one
// (before student); a revoked one no longer counts, nor one of another
// name on the same ID number.
TEST_P(VaultApiTest, ConcessionsComeFromTheVerifiedPersonsCertificates) {
  json devices = SendJson("GET", "/v1/me/devices", nullptr, session_, 200);
  const std::string renew = "/v1/me/devices/" + devices["devices"][0].value("id", "") + "/renew";
  auto category = [&] {
    json renewed = SendJson("POST", renew, nullptr, session_, 201, {{"X-Channel-Key", channel_}});
    return renewed.value("rider_category", "");
  };
  EXPECT_EQ(category(), "adult");
  const vault::SampleHolder citizen{.name = std::string(kCitizenName),
                                    .id_number = std::string(kIdNumber)};
  const vault::SampleHolder other_name{.name = "别人", .id_number = std::string(kIdNumber)};
  Push(SignedFor(other_name, "student_card", 4001, "2030-07-01", agency_key_), 201);
  EXPECT_EQ(category(), "adult") << "another name on the number gives nothing";
  Push(SignedFor(citizen, "student_card", 4002, "2030-07-01", agency_key_), 201);
  EXPECT_EQ(category(), "student");
  const auto disability = SignedFor(citizen, "disability_certificate", 4003, "", agency_key_);
  Push(disability, 201);
  EXPECT_EQ(category(), "disabled");
  Push(SignedFor(citizen, "disability_certificate", 4003, "", agency_key_,
                 [](vault::Certificate& c) { c.status = vault::CertificateStatus::kRevoked; }),
       200);
  EXPECT_EQ(category(), "student");
}

// PIPL art. 45 and 47: the export holds everything of the citizen's, and a
// deletion confirmed by the password erases the person (the phone and the
// person are free again), revokes the codes and consents, and says what is
// kept; a wrong password deletes nothing.
TEST_P(VaultApiTest, ACitizenExportsTheirDataAndDeletesTheAccount) {
  json ticket = SendJson("POST", "/v1/gov/tickets", {{"qr", Code()}, {"service_item", item_id_}},
                         kiosk_key_, 201);
  SendJson("POST", "/v1/me/grants",
           {{"org_id", hall_.id},
            {"types", json::array({"resident_id_card"})},
            {"purpose", "预约办事"},
            {"expires_at", FormatRfc3339(kStart + std::chrono::days(30))}},
           session_, 201);
  json exported = SendJson("GET", "/v1/me/export", nullptr, session_, 200);
  EXPECT_EQ(exported["account"]["name"], kCitizenName) << exported;
  EXPECT_EQ(exported["account"]["id_number"], kIdNumber);
  EXPECT_EQ(exported["account"]["phone"], kPhone);
  EXPECT_EQ(exported["identity"]["level"], "identity_online");
  EXPECT_EQ(exported["devices"].size(), 1u);
  EXPECT_EQ(exported["certificates"].size(), 2u);
  EXPECT_EQ(exported["grants"].size(), 1u);
  EXPECT_EQ(exported["access_history"][0]["action"], "consent.grant");
  EXPECT_EQ(exported["access_history_complete"], true);
  ASSERT_EQ(exported["scenes"]["gov"]["tickets"].size(), 1u) << exported["scenes"];
  EXPECT_EQ(exported["scenes"]["gov"]["tickets"][0]["id"], ticket["id"]);

  constexpr const char* kAccountTables[] = {"citizens",    "sessions",     "identities",
                                            "credentials", "vault_grants", "audit_log"};
  const auto before = RowCounts(kAccountTables);
  ExpectRefused("POST", "/v1/me/deletion", R"({"password":"wrong horse"})", session_, 401,
                "wrong_password");
  EXPECT_EQ(RowCounts(kAccountTables), before);
  const std::string code_before_deletion = Code();

  json deleted =
      SendJson("POST", "/v1/me/deletion", {{"password", "correct horse"}}, session_, 200);
  EXPECT_EQ(deleted["deleted"], true) << deleted;
  std::vector<std::string> kept = deleted.value("kept", std::vector<std::string>());
  ASSERT_EQ(kept.size(), 4u) << deleted;
  EXPECT_TRUE(kept[0].starts_with("vault:")) << kept[0];
  EXPECT_TRUE(kept[1].starts_with("gov:")) << kept[1];
  EXPECT_TRUE(kept[2].starts_with("medical:")) << kept[2];
  EXPECT_TRUE(kept[3].starts_with("access:")) << kept[3];

  // The session, the password and the codes are gone.
  ExpectRefused("GET", "/v1/me", "", session_, 401, "unauthenticated");
  ExpectRefused("POST", "/v1/sessions", R"({"phone":"13912345678","password":"correct horse"})", {},
                401, "unauthenticated");
  json at_gate = SendJson("POST", "/v1/verify", {{"code", code_before_deletion}}, kiosk_key_, 200);
  EXPECT_EQ(at_gate["reason"], "credential_revoked") << at_gate;
  // The phone and the person are free: a new account verifies as them and
  // reaches their certificates.
  RegisterCitizen(kCitizenName, kIdNumber, kPhone, "fresh horse");
  session_ =
      SendJson("POST", "/v1/sessions", {{"phone", kPhone}, {"password", "fresh horse"}}, {}, 201)
          .value("token", "");
  ASSERT_NO_FATAL_FAILURE(VerifyIdentity(session_, kCitizenName, kIdNumber));
  json mine = SendJson("GET", "/v1/me/certificates", nullptr, session_, 200);
  EXPECT_EQ(mine["certificates"].size(), 2u) << mine;
  ExpectAuditLogVerifies();
}

INSTANTIATE_TEST_SUITE_P(Backends, VaultApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
