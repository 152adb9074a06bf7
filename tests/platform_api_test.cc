// The HTTP API end to end, on SQLite and PostgreSQL: an in-process service
// on 127.0.0.1, a real HTTP client, and codes made by the `citycode` CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "api_client/http_client.h"
#include "code/credential.h"
#include "code/presentation.h"
#include "common/files.h"
#include "crypto/key.h"
#include "crypto/password.h"
#include "server/service.h"
#include "tests/support/service_test.h"
#include "tests/support/subprocess.h"

namespace citycode {
namespace {

using api_client::HttpReply;
using nlohmann::json;

// Every table the platform writes.
constexpr const char* kTables[] = {"platform_keys", "signed_lists",       "citizens",
                                   "sessions",      "organisations",      "sites",
                                   "terminals",     "api_keys",           "devices",
                                   "credentials",   "presentations_seen", "verifications"};

class ApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("api");
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
  }

  std::map<std::string, std::int64_t> RowCounts() { return ServiceTest::RowCounts(kTables); }

  // An organisation with one site and terminal; returns {org id, terminal key}.
  std::pair<std::string, std::string> Org(std::string_view kind) {
    json org = SendJson("POST", "/v1/orgs", {{"name", "测试 " + std::string(kind)}, {"kind", kind}},
                        admin_, 201);
    const std::string id = org["id"];
    json site = SendJson("POST", "/v1/orgs/" + id + "/sites", {{"name", "site"}}, admin_, 201);
    json terminal = SendJson("POST", "/v1/orgs/" + id + "/terminals",
                             {{"site_id", site["id"]}, {"name", "gate"}}, admin_, 201);
    return {id, terminal["api_key"]};
  }

  // Registers and logs in a citizen; returns the session token.
  std::string Citizen(std::string_view phone = "13912345678",
                      std::string_view id_number = "370282199003154516") {
    RegisterCitizen("测试市民乙", id_number, phone, "correct horse");
    json session = SendJson("POST", "/v1/sessions",
                            {{"phone", phone}, {"password", "correct horse"}}, {}, 201);
    return session["token"];
  }

  SystemClock clock_;
};

// Acceptance: register → enrol → credential → a code made by the CLI →
// valid, replayed, and after "device lost" credential_revoked, with a new
// revocation list version and ETag that holds the credential.
TEST_P(ApiTest, ACodeFromTheCliVerifiesOnlineUntilTheDeviceIsLost) {
  const auto [org, gate] = Org("transit_operator");
  const std::string session = Citizen();

  const auto phone_key = dir_->path() / "phone.key";
  auto made = testing::RunCitycode({"device", "init", "--out", phone_key.string()});
  ASSERT_EQ(made.exit_code, 0) << testing::Describe(made);
  const std::string private_pem = *ReadFile(phone_key, 65536);
  const std::string public_pem = crypto::PrivateKey::FromPem(private_pem)->public_key().ToPem();

  json enrolled =
      SendJson("POST", "/v1/me/devices", {{"public_key", public_pem}, {"label", "my phone"}},
               session, 201, {{"X-Channel-Key", channel_}});
  ASSERT_TRUE(enrolled.contains("credential")) << enrolled;
  EXPECT_EQ(enrolled["channel"], "app");
  const auto credential_file = dir_->path() / "credential.cbor";
  ASSERT_TRUE(WriteFileAtomic(credential_file,
                              AsChars(*Base64UrlDecode(enrolled["credential"].get<std::string>())))
                  .ok());

  const auto make_code = [&](int counter) {
    auto result = testing::RunCitycode({"code", "make", "--credential", credential_file.string(),
                                        "--device-key", phone_key.string(), "--counter",
                                        std::to_string(counter)});
    EXPECT_EQ(result.exit_code, 0) << testing::Describe(result);
    return result.out.substr(0, result.out.find('\n'));
  };
  const std::string code = make_code(1);
  json first = SendJson("POST", "/v1/verify", {{"code", code}}, gate, 200);
  EXPECT_EQ(first["valid"], true) << first;
  EXPECT_EQ(first["reason"], "valid");
  json again = SendJson("POST", "/v1/verify", {{"code", code}}, gate, 200);
  EXPECT_EQ(again["valid"], false);
  EXPECT_EQ(again["reason"], "replayed");

  HttpReply list_before = Send("GET", "/v1/lists/revocation");
  ASSERT_EQ(list_before.status, 200);
  SendJson("POST", "/v1/me/devices/" + enrolled["device_id"].get<std::string>() + "/lost", nullptr,
           session, 200);
  json revoked = SendJson("POST", "/v1/verify", {{"code", make_code(2)}}, gate, 200);
  EXPECT_EQ(revoked["reason"], "credential_revoked") << revoked;

  HttpReply list_after = Send("GET", "/v1/lists/revocation", {}, {},
                              {{"If-None-Match", std::string(list_before.Header("etag"))}});
  ASSERT_EQ(list_after.status, 200) << "a changed list is sent again";
  EXPECT_NE(list_after.Header("etag"), list_before.Header("etag"));
  auto root = crypto::PublicKey::FromPem(Send("GET", "/v1/lists/root.pem").body);
  ASSERT_TRUE(root.ok());
  auto before = code::VerifyRevocationList(list_before.body, *root);
  auto after = code::VerifyRevocationList(list_after.body, *root);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_GT(after->version, before->version);
  const auto cti = FromHex(enrolled["credential_id"].get<std::string>());
  code::CredentialId id;
  std::copy(cti->begin(), cti->end(), id.begin());
  EXPECT_FALSE(before->Contains(id));
  EXPECT_TRUE(after->Contains(id));
  // Unchanged since: 304 and no body.
  HttpReply unchanged = Send("GET", "/v1/lists/revocation", {}, {},
                             {{"If-None-Match", std::string(list_after.Header("etag"))}});
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_TRUE(unchanged.body.empty());
}

// Acceptance: roles and organisations are enforced; 401 without a key.
TEST_P(ApiTest, TerminalsAndOrgAdminsStayInTheirLane) {
  const auto [hotel, hotel_gate] = Org("hotel");
  const auto [transit, transit_gate] = Org("transit_operator");
  const auto before = RowCounts();

  // A hotel terminal: no transit verification, no administration.
  HttpReply scene = Send("POST", "/v1/verify", R"({"code":"CC1:X","scene":"transit"})", hotel_gate);
  EXPECT_EQ(scene.status, 403);
  EXPECT_EQ(ErrorCode(scene), "scene_not_permitted");
  for (const auto& [method, target, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/v1/orgs/" + transit + "/terminals", ""},
           {"POST", "/v1/orgs/" + transit + "/sites", R"({"name":"x"})"},
           {"POST", "/v1/orgs", R"({"name":"x","kind":"hotel"})"},
           {"GET", "/v1/orgs/" + hotel, ""},
           {"POST", "/v1/signing-keys", ""},
           {"GET", "/v1/me", ""}}) {
    HttpReply reply = Send(method, target, body, hotel_gate);
    EXPECT_EQ(reply.status, 403) << method << " " << target << ": " << reply.body;
    EXPECT_EQ(ErrorCode(reply), "permission_denied");
  }
  // An organisation's admin administers its own organisation only.
  json key =
      SendJson("POST", "/v1/orgs/" + hotel + "/admin-keys", {{"name", "hotel it"}}, admin_, 201);
  const std::string hotel_admin = key["api_key"];
  EXPECT_EQ(Send("GET", "/v1/orgs/" + hotel + "/terminals", {}, hotel_admin).status, 200);
  EXPECT_EQ(Send("GET", "/v1/orgs/" + transit + "/terminals", {}, hotel_admin).status, 403);
  EXPECT_EQ(Send("POST", "/v1/orgs/" + transit + "/sites", R"({"name":"x"})", hotel_admin).status,
            403);
  EXPECT_EQ(Send("GET", "/v1/orgs", {}, hotel_admin).status, 403);

  // No key, a malformed key, a forged key: 401.
  for (const std::string& token : {std::string(), std::string("nonsense"),
                                   transit_gate.substr(0, transit_gate.size() - 2) + "xx"}) {
    HttpReply reply = Send("POST", "/v1/verify", R"({"code":"CC1:X"})", token);
    EXPECT_EQ(reply.status, 401) << token;
    EXPECT_EQ(ErrorCode(reply), "unauthenticated");
  }
  const auto after = RowCounts();
  // Only the org admin key was added.
  auto expected = before;
  expected["api_keys"] += 1;
  EXPECT_EQ(after, expected);
}

// Acceptance: bad input → 400 with a machine code, and nothing changes.
TEST_P(ApiTest, BadInputIsRefusedWithAMachineCodeAndChangesNothing) {
  const auto [org, gate] = Org("transit_operator");
  const std::string session = Citizen();
  const auto before = RowCounts();
  const std::string oversize =
      R"({"name":")" + std::string(70 * 1024, 'x') + R"(","kind":"hotel"})";
  struct Case {
    std::string method, target, body, token, code;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/orgs", "{not json", admin_, "malformed_json"},
      {"POST", "/v1/orgs", "[1,2]", admin_, "malformed_json"},
      {"POST", "/v1/orgs", std::string(100, '[') + std::string(100, ']'), admin_, "malformed_json"},
      {"POST", "/v1/orgs", R"({"name":"x","kind":"hotel","extra":1})", admin_, "unknown_field"},
      {"POST", "/v1/orgs", R"({"name":42,"kind":"hotel"})", admin_, "wrong_type"},
      {"POST", "/v1/orgs", R"({"name":"x"})", admin_, "missing_field"},
      {"POST", "/v1/orgs", R"({"name":"x","kind":"bakery"})", admin_, "invalid_argument"},
      {"POST", "/v1/orgs", oversize, admin_, "payload_too_large"},
      {"POST", "/v1/citizens",
       R"({"name":"a","id_number":"370282199003154514","phone":"13900000000","password":"password1"})",
       "", "id_number_invalid"},
      {"POST", "/v1/citizens",
       R"({"name":"a","id_number":"370282203001010016","phone":"13900000000","password":"password1"})",
       "", "id_number_birth_date"},
      {"POST", "/v1/me/identity/online/id-token", R"({"id_token":"a.b.c","nonce":"n"})", session,
       "id_token_malformed"},
      {"POST", "/v1/citizens", R"({"name":"a","id_number":"370282199003154516"})", "",
       "missing_field"},
      {"POST", "/v1/verify", R"({"code":12})", gate, "wrong_type"},
      {"POST", "/v1/verify", R"({"code":"CC1:A","n":1})", gate, "unknown_field"},
      {"POST", "/v1/me/devices", R"({"public_key":"not a key"})", session, "bad_public_key"},
      {"POST", "/v1/sessions", R"({"phone":"13912345678","password":"wrong horse"})", "",
       "unauthenticated"},
  };
  for (const Case& c : cases) {
    HttpReply reply = Send(c.method, c.target, c.body, c.token);
    EXPECT_EQ(ErrorCode(reply), c.code) << c.target << " " << c.body.substr(0, 80);
    EXPECT_EQ(reply.status,
              c.code == "unauthenticated" || c.code.starts_with("id_token") ? 401 : 400)
        << reply.body;
  }
  // A device label with a line break and a terminal escape is refused; the
  // PEM key's own line breaks are fine.
  const auto key = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  HttpReply escaped = Send(
      "POST", "/v1/me/devices",
      json({{"public_key", key.public_key().ToPem()}, {"label", "phone\n\x1b[2Jowned"}}).dump(),
      session, {{"X-Channel-Key", channel_}});
  EXPECT_EQ(escaped.status, 400) << escaped.body;
  EXPECT_EQ(ErrorCode(escaped), "control_character");
  EXPECT_EQ(RowCounts(), before);
}

// A clerk's account is the organisation admin's to make; a clerk signs in
// at a terminal of that organisation, and the session holds only there and
// only while the account is active.
TEST_P(ApiTest, AClerkSignsInAtTheirOrganisationsTerminalAndNowhereElse) {
  const auto [hall, counter] = Org("service_hall");
  const auto [other, other_counter] = Org("service_hall");
  const auto org_admin = [&](const std::string& org) {
    return SendJson("POST", "/v1/orgs/" + org + "/admin-keys", {{"name", "it"}}, admin_,
                    201)["api_key"]
        .get<std::string>();
  };
  const std::string hall_admin = org_admin(hall);
  const std::string staff = "/v1/orgs/" + hall + "/staff";
  const json clerk =
      SendJson("POST", staff, {{"login", "clerk1"}, {"name", "王窗口"}, {"password", "counter-1"}},
               hall_admin, 201);
  EXPECT_EQ(clerk["name"], "王窗口");
  ExpectRefused("POST", staff, R"({"login":"clerk1","name":"x","password":"counter-2"})",
                hall_admin, 409, "already_exists");
  ExpectRefused("POST", staff, R"({"login":"Clerk 1","name":"x","password":"counter-2"})",
                hall_admin, 400, "invalid_argument");
  ExpectRefused("POST", staff, R"({"login":"clerk2","name":"x","password":"short"})", hall_admin,
                400, "invalid_argument");
  ExpectRefused("POST", staff, R"({"login":"clerk2","name":"x","password":"counter-2"})",
                org_admin(other), 403, "permission_denied");
  EXPECT_EQ(SendJson("GET", staff, nullptr, hall_admin, 200)["staff"][0]["login"], "clerk1");

  const std::string sign_in = "/v1/terminal/staff-sessions";
  ExpectRefused("POST", sign_in, R"({"login":"clerk1","password":"wrong-one"})", counter, 401,
                "unauthenticated");
  // Another organisation's counter knows no such clerk.
  ExpectRefused("POST", sign_in, R"({"login":"clerk1","password":"counter-1"})", other_counter, 401,
                "unauthenticated");
  const json session =
      SendJson("POST", sign_in, {{"login", "clerk1"}, {"password", "counter-1"}}, counter, 201);
  const std::string token = session["token"];
  EXPECT_TRUE(token.starts_with("ccst_")) << session;
  EXPECT_EQ(session["staff"]["name"], "王窗口");
  const Headers as_clerk = {{"X-Staff-Session", token}};
  const json terminal = SendJson("GET", "/v1/terminal", nullptr, counter, 200, as_clerk);
  EXPECT_EQ(terminal["staff_id"], clerk["id"]);
  EXPECT_EQ(terminal["org_name"], "测试 service_hall");
  // The token alone, or at another terminal, or made up, names nobody.
  EXPECT_EQ(SendJson("GET", "/v1/terminal", nullptr, other_counter, 401, as_clerk)["error"]["code"],
            "staff_session_invalid");
  EXPECT_EQ(SendJson("GET", "/v1/terminal", nullptr, counter, 401,
                     {{"X-Staff-Session", "ccst_made-up"}})["error"]["code"],
            "staff_session_invalid");
  ExpectRefused("GET", "/v1/terminal", "", token, 401, "unauthenticated");

  // Disabled: the session ends at once and the clerk cannot sign in again.
  SendJson("POST", staff + "/" + clerk["id"].get<std::string>() + "/disable", nullptr, hall_admin,
           200);
  EXPECT_EQ(SendJson("GET", "/v1/terminal", nullptr, counter, 401, as_clerk)["error"]["code"],
            "staff_session_invalid");
  ExpectRefused("POST", sign_in, R"({"login":"clerk1","password":"counter-1"})", counter, 401,
                "unauthenticated");
}

// Signing out ends the session.
TEST_P(ApiTest, AClerkSignsOut) {
  const auto [hall, counter] = Org("service_hall");
  const std::string hall_admin = SendJson("POST", "/v1/orgs/" + hall + "/admin-keys",
                                          {{"name", "it"}}, admin_, 201)["api_key"];
  SendJson("POST", "/v1/orgs/" + hall + "/staff",
           {{"login", "clerk1"}, {"name", "王窗口"}, {"password", "counter-1"}}, hall_admin, 201);
  const Headers as_clerk = {
      {"X-Staff-Session",
       SendJson("POST", "/v1/terminal/staff-sessions",
                {{"login", "clerk1"}, {"password", "counter-1"}}, counter, 201)["token"]}};
  SendJson("DELETE", "/v1/terminal/staff-sessions/current", nullptr, counter, 200, as_clerk);
  EXPECT_EQ(SendJson("GET", "/v1/terminal", nullptr, counter, 401, as_clerk)["error"]["code"],
            "staff_session_invalid");
}

// The first-party pages hold no key: a citizen's own session enrols as the
// city app. A partner app names itself by its channel key, and a key that
// is not a channel's is refused.
TEST_P(ApiTest, ACitizenSessionEnrolsAsTheCityAppAndAPartnerByItsKey) {
  const auto [org, gate] = Org("transit_operator");
  const std::string session = Citizen();
  const auto device = [&](const std::vector<std::pair<std::string, std::string>>& headers,
                          int status) {
    const auto key = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
    return SendJson("POST", "/v1/me/devices", {{"public_key", key.public_key().ToPem()}}, session,
                    status, headers);
  };
  EXPECT_EQ(device({}, 201)["channel"], "app");
  const json wechat =
      SendJson("POST", "/v1/channels/wechat/keys", {{"name", "mini-program"}}, admin_, 201);
  EXPECT_EQ(device({{"X-Channel-Key", wechat["api_key"].get<std::string>()}}, 201)["channel"],
            "wechat");
  EXPECT_EQ(device({{"X-Channel-Key", gate}}, 403)["error"]["code"], "permission_denied");
}

// The demo server's pages register and verify a person without a phone or
// a real identity provider: its inbox is public, its provider confirms the
// person an account claims to be (the platform checks the token as any
// other), and its admin moves its clock. Elsewhere none of it exists.
class DemoApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("demo-api");
    config_.platform.demo = true;
    config_.api.demo = {.identity_provider = identity_provider_, .clock = &clock_};
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
  }

  ManualClock clock_{FromUnixSeconds(1'784'151'000)};  // 2026-07-15T21:30:00Z
};

TEST_P(DemoApiTest, ThePagesRegisterAndVerifyThroughTheDemosInboxAndProvider) {
  EXPECT_EQ(SendJson("GET", "/v1/demo", nullptr, "", 200),
            json({{"demo", true}, {"inbox", true}, {"identity_provider", true}, {"clock", true}}));
  const std::string phone = "13912345670";
  SendJson("POST", "/v1/citizens",
           {{"name", "测试市民丙"},
            {"id_number", "370282199003154516"},
            {"phone", phone},
            {"password", "correct horse"}},
           "", 202);
  const json texts = SendJson("POST", "/v1/demo/texts", {{"phone", phone}}, "", 200);
  ASSERT_TRUE(texts["code"].is_string()) << texts;
  SendJson("POST", "/v1/citizens/confirm", {{"phone", phone}, {"code", texts["code"]}}, "", 201);
  const std::string session = SendJson(
      "POST", "/v1/sessions", {{"phone", phone}, {"password", "correct horse"}}, "", 201)["token"];

  const json check = SendJson("POST", "/v1/me/identity/online", nullptr, session, 201);
  ExpectRefused("POST", "/v1/demo/id-token", json({{"nonce", check["nonce"]}}).dump(), "", 401,
                "unauthenticated");
  const json token =
      SendJson("POST", "/v1/demo/id-token", {{"nonce", check["nonce"]}}, session, 200);
  const json identity =
      SendJson("POST", "/v1/me/identity/online/id-token",
               {{"id_token", token["id_token"]}, {"nonce", check["nonce"]}}, session, 200);
  EXPECT_EQ(identity["level"], "identity_online");
  EXPECT_EQ(SendJson("GET", "/v1/me", nullptr, session, 200)["name"], "测试市民丙");
}

TEST_P(DemoApiTest, TheAdminMovesTheDemosClock) {
  const std::string session = [&] {
    RegisterCitizen("测试市民丙", "370282199003154516", "13912345670", "correct horse");
    return SendJson("POST", "/v1/sessions",
                    {{"phone", "13912345670"}, {"password", "correct horse"}}, "", 201)["token"]
        .get<std::string>();
  }();
  ExpectRefused("POST", "/v1/demo/clock", R"({"advance_seconds":31})", "", 401, "unauthenticated");
  ExpectRefused("POST", "/v1/demo/clock", R"({"advance_seconds":31})", session, 403,
                "permission_denied");
  ExpectRefused("POST", "/v1/demo/clock", R"({"advance_seconds":-1})", admin_, 400,
                "invalid_argument");
  EXPECT_EQ(SendJson("POST", "/v1/demo/clock", {{"advance_seconds", 31}}, admin_, 200)["now"],
            "2026-07-15T21:30:31Z");
  EXPECT_EQ(clock_.Now(), FromUnixSeconds(1'784'151'031));
  EXPECT_EQ(Send("GET", "/healthz").Header("date"), "Wed, 15 Jul 2026 21:30:31 GMT");
}

INSTANTIATE_TEST_SUITE_P(Backends, DemoApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

// A server that is no demo has none of the demo's routes, and its inbox
// (the tests') is the admin's.
TEST_P(ApiTest, AServerThatIsNoDemoHasNoDemoRoutes) {
  ExpectRefused("GET", "/v1/demo", "", "", 404, "not_found");
  ExpectRefused("POST", "/v1/demo/id-token", R"({"nonce":"n"})", "", 404, "not_found");
  ExpectRefused("POST", "/v1/demo/clock", R"({"advance_seconds":1})", admin_, 404, "not_found");
  ExpectRefused("POST", "/v1/demo/texts", R"({"phone":"13912345670"})", "", 401, "unauthenticated");
}

// The city app verifies a citizen online (ServiceTest::VerifyIdentity: a
// nonce, the provider's ID token, the token back); the citizen sees the
// level and how it was reached.
TEST_P(ApiTest, ACitizenVerifiesOnlineAndSeesTheLevel) {
  const std::string session = Citizen();
  EXPECT_EQ(SendJson("GET", "/v1/me", nullptr, session, 200)["identity_level"], "none");
  EXPECT_EQ(SendJson("GET", "/v1/me/identity", nullptr, session, 200)["level"], "none");
  ASSERT_NO_FATAL_FAILURE(VerifyIdentity(session, "测试市民乙", "370282199003154516"));
  const json identity = SendJson("GET", "/v1/me/identity", nullptr, session, 200);
  EXPECT_EQ(identity["level"], "identity_online") << identity;
  EXPECT_EQ(identity["method"], "oidc");
  ASSERT_EQ(identity["history"].size(), 1u);
  EXPECT_EQ(identity["history"][0]["event"], "verified");
  EXPECT_EQ(SendJson("GET", "/v1/me", nullptr, session, 200)["identity_level"], "identity_online");
  // A token signed by anyone else is refused, and the nonce stays usable.
  const json check = SendJson("POST", "/v1/me/identity/online", nullptr, session, 201);
  auto stranger = oidc::TestIdentityProvider::Create("https://id.test");
  ASSERT_TRUE(stranger.ok());
  auto forged = (*stranger)->Sign({{"kid", identity_provider_->kid()}},
                                  {{"iss", "https://id.test"},
                                   {"aud", check["client_id"]},
                                   {"sub", "x"},
                                   {"nonce", check["nonce"]},
                                   {"iat", ToUnixSeconds(clock_.Now())},
                                   {"exp", ToUnixSeconds(clock_.Now()) + 300},
                                   {"name", "别人"},
                                   {"id_number", "370282195001011839"}});
  ASSERT_TRUE(forged.ok());
  ExpectRefused("POST", "/v1/me/identity/online/id-token",
                json{{"id_token", *forged}, {"nonce", check["nonce"]}}.dump(), session, 401,
                "id_token_signature");
  EXPECT_EQ(SendJson("GET", "/v1/me/identity", nullptr, session, 200)["history"].size(), 1u);
}

// Registration tells a stranger nothing: a known phone and a new one get the
// same answer; only the phones get different texts.
TEST_P(ApiTest, RegistrationAnswersAlikeForKnownAndNewPhones) {
  Citizen("13912345678");
  const json form = {
      {"name", "某人"}, {"id_number", "370282199003154524"}, {"password", "pw123456"}};
  json known = form, fresh = form;
  known["phone"] = "13912345678";
  fresh["phone"] = "13912345679";
  const HttpReply for_known = Send("POST", "/v1/citizens", known.dump());
  const HttpReply for_fresh = Send("POST", "/v1/citizens", fresh.dump());
  EXPECT_EQ(for_known.status, 202);
  EXPECT_EQ(for_fresh.status, for_known.status);
  EXPECT_EQ(for_fresh.body, for_known.body);
  const std::vector<std::string> known_texts = inbox_->To("13912345678");
  ASSERT_EQ(known_texts.size(), 2u);  // its registration's code, then the notice
  EXPECT_NE(known_texts.back().find("已注册"), std::string::npos) << known_texts.back();
  EXPECT_TRUE(inbox_->LastCode("13912345679").has_value());
  // A wrong code is refused without saying more.
  ExpectRefused("POST", "/v1/citizens/confirm", R"({"phone":"13912345678","code":"123456"})", "",
                401, "code_invalid");
}

TEST_P(ApiTest, PublishesItsOpenApiDocumentAndHealth) {
  json doc = SendJson("GET", "/v1/openapi.json", nullptr, {}, 200);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const char* path : {"/v1/verify", "/v1/citizens", "/v1/me/devices",
                           "/v1/orgs/{org}/terminals", "/v1/lists/revocation"}) {
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  }
  // The documented body is the validated one.
  EXPECT_EQ(doc["paths"]["/v1/verify"]["post"]["requestBody"]["content"]["application/json"]
               ["schema"]["additionalProperties"],
            false);
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
  EXPECT_EQ(Send("GET", "/readyz").status, 200);
  HttpReply metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, ::testing::HasSubstr("citycode_http_requests_total"));
#if defined(__SANITIZE_ADDRESS__)  // its allocator keeps no glibc heap: no gauge
  EXPECT_THAT(metrics.body, ::testing::Not(::testing::HasSubstr("citycode_heap_")));
#else
  EXPECT_THAT(metrics.body, ::testing::ContainsRegex("\ncitycode_heap_in_use_bytes [1-9]"));
  EXPECT_THAT(metrics.body, ::testing::ContainsRegex("\ncitycode_heap_free_bytes [0-9]"));
#endif
}

// `citycode terminal simulate` registers riders, enrols their phones and
// verifies their codes online or with downloaded lists.
TEST_P(ApiTest, TheTerminalSimulatorVerifiesOnlineAndOffline) {
  const auto [org, gate] = Org("access_site");
  for (const char* mode : {"online", "offline"}) {
    std::vector<std::string> args = {
        "terminal", "simulate", "--server", base_url_,    "--key", gate,          "--channel-key",
        channel_,   "--codes",  "12",       "--citizens", "3",     "--admin-key", admin_};
    if (std::string_view(mode) == "offline") args.push_back("--offline");
    auto run = testing::RunCitycode(args);
    ASSERT_EQ(run.exit_code, 0) << testing::Describe(run);
    json summary = json::parse(run.out);
    EXPECT_EQ(summary["mode"], mode);
    EXPECT_EQ(summary["scene"], "access");
    EXPECT_EQ(summary["codes"], 12);
    EXPECT_EQ(summary["valid"], 12);
  }
  // Online verifications were recorded; offline ones never reach the server.
  auto tx = db().Begin(store::TransactionMode::kRead);
  EXPECT_EQ((*tx)->QueryOne("SELECT COUNT(*) FROM verifications")->Int(0), 12);
  EXPECT_EQ((*tx)->QueryOne("SELECT COUNT(*) FROM devices")->Int(0), 6);
  // A wrong terminal key: exit 2 and one line on stderr.
  auto bad =
      testing::RunCitycode({"terminal", "simulate", "--server", base_url_, "--key", "cck_x_y",
                            "--channel-key", channel_, "--codes", "1", "--admin-key", admin_});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, ::testing::StartsWith("citycode: identify the terminal: HTTP 401"));
}

// Wrong passwords back off per phone (even the right one waits), and
// unknown tokens per client address (even a valid one from there waits:
// the check is made before any database read).
TEST_P(ApiTest, WrongPasswordsAndUnknownTokensBackOff) {
  Citizen();
  const std::string wrong = R"({"phone":"13912345678","password":"wrong horse"})";
  for (int i = 0; i < 6; ++i) {  // five free, the sixth sets the first wait
    ExpectRefused("POST", "/v1/sessions", wrong, {}, 401, "unauthenticated");
  }
  ExpectRefused("POST", "/v1/sessions", wrong, {}, 429, "login_backoff");
  ExpectRefused("POST", "/v1/sessions", R"({"phone":"13912345678","password":"correct horse"})", {},
                429, "login_backoff");
  // Another phone from the same address is not held back yet.
  ExpectRefused("POST", "/v1/sessions", R"({"phone":"13912345679","password":"wrong horse"})", {},
                401, "unauthenticated");

  for (int i = 0; i < 21; ++i) {
    ExpectRefused("GET", "/v1/me", "", "cck_unknown_token", 401, "unauthenticated");
  }
  ExpectRefused("GET", "/v1/me", "", "cck_unknown_token", 429, "rate_limited");
  ExpectRefused("GET", "/v1/orgs", "", admin_, 429, "rate_limited");
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

// A flood of wrong-password logins (40 connections, passwords hashed at
// the production cost, no back-off) while a bus terminal verifies codes:
// every verify is answered, valid, while the flood runs. Logins run on the
// handler pool and their hashing is bounded (PasswordGate), so they cannot
// hold every handler.
class LoginFloodTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("login-flood");
    config_.platform.password_cost = crypto::PasswordCost::kInteractive;
    config_.platform.login_failures_per_phone = 0;
    config_.platform.login_failures_per_address = 0;
    config_.api.rate_per_key = 0;  // no per-address request limit on loopback
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
  }
  SystemClock clock_;
};

TEST_P(LoginFloodTest, TerminalsAreAnsweredThroughoutALoginFlood) {
  json org =
      SendJson("POST", "/v1/orgs", {{"name", "公交"}, {"kind", "transit_operator"}}, admin_, 201);
  const std::string org_id = org["id"];
  json site = SendJson("POST", "/v1/orgs/" + org_id + "/sites", {{"name", "1路"}}, admin_, 201);
  json terminal = SendJson("POST", "/v1/orgs/" + org_id + "/terminals",
                           {{"site_id", site["id"]}, {"name", "1号车"}}, admin_, 201);
  const std::string gate = terminal["api_key"];
  RegisterCitizen("测试市民乙", "370282199003154516", "13912345678", "correct horse");
  const std::string session =
      SendJson("POST", "/v1/sessions", {{"phone", "13912345678"}, {"password", "correct horse"}},
               {}, 201)["token"];
  const auto device = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  json enrolled = SendJson("POST", "/v1/me/devices", {{"public_key", device.public_key().ToPem()}},
                           session, 201, {{"X-Channel-Key", channel_}});
  const Bytes credential = *Base64UrlDecode(enrolled.value("credential", ""));

  std::atomic<bool> stop{false};
  std::atomic<int> logins_answered{0};
  std::vector<std::thread> flood;
  for (int i = 0; i < 40; ++i) {
    flood.emplace_back([&, i] {
      auto client = api_client::HttpClient::Create(base_url_);
      if (!client.ok()) return;
      const std::string body = json({{"phone", "139" + std::to_string(10000000 + i)},
                                     {"password", "wrong horse " + std::to_string(i)}})
                                   .dump();
      while (!stop.load()) {
        auto reply = (*client)->Send("POST", "/v1/sessions", body, {});
        if (reply.ok() && (reply->status == 401 || reply->status == 429)) ++logins_answered;
      }
    });
  }
  // The flood is under way before the terminal starts.
  while (logins_answered.load() < 40) std::this_thread::yield();
  const int answered_before = logins_answered.load();
  for (std::uint64_t n = 1; n <= 50; ++n) {
    auto code = code::MakePresentation(
        {.credential = credential, .made_at = clock_.Now(), .counter = n}, device);
    ASSERT_TRUE(code.ok());
    json verified = SendJson("POST", "/v1/verify", {{"code", code::ToQrText(*code)}}, gate, 200);
    EXPECT_EQ(verified["valid"], true) << verified;
  }
  const int answered_during = logins_answered.load() - answered_before;
  stop = true;
  for (std::thread& t : flood) t.join();
  EXPECT_GT(answered_during, 0) << "the flood ran while the terminal verified";
}

INSTANTIATE_TEST_SUITE_P(Backends, LoginFloodTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

// The per-key rate limit answers 429 once the burst is spent.
TEST(ApiRateLimitTest, RefusesBeyondTheBurst) {
  testing::TempDir dir("api-rate");
  server::ServiceConfig config;
  config.database_url = "sqlite:" + (dir.path() / "db").string();
  config.keyring_file = dir.path() / "keyring.json";
  config.vault.checkpoint_file = dir.path() / "audit-checkpoints.jsonl";
  config.http.listen = "127.0.0.1:0";
  config.api.rate_per_key = 0.001;  // refills far slower than this test runs
  config.api.burst_per_key = 3;
  SystemClock clock;
  auto service = server::Service::Start(config, clock);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  const std::string admin = (*service)->platform().access_keys().CreateAdminKey("a")->token;
  auto client =
      *api_client::HttpClient::Create("http://127.0.0.1:" + std::to_string((*service)->port()));
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    statuses.push_back(
        client->Send("GET", "/v1/orgs", {}, {{"Authorization", "Bearer " + admin}})->status);
  }
  EXPECT_THAT(statuses, ::testing::ElementsAre(200, 200, 200, 429, 429));
  // Another key has its own bucket.
  const std::string other = (*service)->platform().access_keys().CreateAdminKey("b")->token;
  EXPECT_EQ(client->Send("GET", "/v1/orgs", {}, {{"Authorization", "Bearer " + other}})->status,
            200);
}

}  // namespace
}  // namespace citycode
