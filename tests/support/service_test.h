// A fixture for tests of the HTTP API: an in-process citycode service on the
// test's database (DatabaseTest), listening on 127.0.0.1, with a real HTTP
// client, an admin key and an app channel key.
//
//   class ThingApiTest : public testing::ServiceTest {
//     void SetUp() override {
//       ServiceTest::SetUp();
//       if (IsSkipped() || HasFatalFailure()) return;
//       Configure("thing-api");
//       config_.… = …;                 // anything the test needs besides
//       ASSERT_NO_FATAL_FAILURE(StartService(clock_));
//     }
//   };
#ifndef CITYCODE_TESTS_SUPPORT_SERVICE_TEST_H_
#define CITYCODE_TESTS_SUPPORT_SERVICE_TEST_H_

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_client/http_client.h"
#include "common/clock.h"
#include "oidc/test_provider.h"
#include "server/service.h"
#include "sms/gateway.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"

namespace citycode::testing {

class ServiceTest : public DatabaseTest {
 protected:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // The configuration every API test shares: the test's database, the
  // service's files in a fresh directory named after `name`, any free port,
  // the cheapest password hashing, and no background upkeep while a test
  // counts rows.
  void Configure(std::string_view name) {
    dir_.emplace(std::string(name));
    config_.database_url = url();
    config_.keyring_file = dir_->path() / "keyring.json";
    config_.vault.checkpoint_file = dir_->path() / "audit-checkpoints.jsonl";
    config_.http.listen = "127.0.0.1:0";
    config_.platform.password_cost = crypto::PasswordCost::kMinimal;
    config_.upkeep_interval = std::chrono::hours(24);
    // Texts to phones land in an inbox the test reads (RegisterCitizen).
    inbox_ = std::make_shared<sms::Inbox>();
    config_.platform.sms = inbox_;
    // The city's identity provider: this test's stand-in signs the ID tokens
    // that verify citizens online (VerifyIdentity).
    auto provider = oidc::TestIdentityProvider::Create("https://id.test");
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    identity_provider_ = std::move(*provider);
    config_.platform.identity_provider =
        oidc::ProviderConfig{.issuer = "https://id.test",
                             .client_id = "citycode-test",
                             .jwks_json = identity_provider_->JwksJson(),
                             .algorithms = {identity_provider_->algorithm()}};
  }

  // Registers a citizen the way the city app does: the form, then the code
  // the phone received. Returns the citizen id.
  std::string RegisterCitizen(std::string_view name, std::string_view id_number,
                              std::string_view phone, std::string_view password) {
    const nlohmann::json started = SendJson(
        "POST", "/v1/citizens",
        {{"name", name}, {"id_number", id_number}, {"phone", phone}, {"password", password}}, {},
        202);
    EXPECT_EQ(started.value("code_sent", false), true) << started;
    const std::optional<std::string> code = inbox_->LastCode(phone);
    EXPECT_TRUE(code.has_value()) << "no code texted to the phone";
    const nlohmann::json confirmed = SendJson(
        "POST", "/v1/citizens/confirm", {{"phone", phone}, {"code", code.value_or("")}}, {}, 201);
    return confirmed.value("citizen_id", "");
  }

  // Verifies the session's citizen as `name`, `id_number` online, the way
  // the city app does: a nonce from the service, an ID token from the
  // identity provider, the token back to the service.
  void VerifyIdentity(std::string_view session, std::string_view name, std::string_view id_number) {
    const nlohmann::json check = SendJson("POST", "/v1/me/identity/online", nullptr, session, 201);
    ASSERT_TRUE(check.contains("nonce")) << check;
    auto token = identity_provider_->IdToken({.audience = check["client_id"],
                                              .nonce = check["nonce"],
                                              .subject = "person-" + std::string(id_number),
                                              .name = std::string(name),
                                              .id_number = std::string(id_number),
                                              .issued_at = service_clock_->Now()});
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    const nlohmann::json verified =
        SendJson("POST", "/v1/me/identity/online/id-token",
                 {{"id_token", *token}, {"nonce", check["nonce"]}}, session, 200);
    ASSERT_EQ(verified.value("level", ""), "identity_online") << verified;
  }

  // Starts the service with config_ on `clock`, which must outlive it.
  void StartService(const Clock& clock, city::OpenOptions options = {}) {
    service_clock_ = &clock;
    auto service = server::Service::Start(config_, clock, options);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(*service);
    base_url_ = "http://127.0.0.1:" + std::to_string(service_->port());
    client_ = std::move(*api_client::HttpClient::Create(base_url_));
    admin_ = service_->platform().access_keys().CreateAdminKey("test admin")->token;
    channel_ =
        service_->platform().access_keys().CreateChannelKey(code::Channel::kApp, "test app")->token;
  }

  // Stops the service before the derived fixture's members (its clock, say)
  // are destroyed.
  void TearDown() override {
    client_.reset();
    service_.reset();
    DatabaseTest::TearDown();
  }

  api_client::HttpReply Send(std::string_view method, std::string_view target,
                             std::string_view body = {}, std::string_view token = {},
                             Headers headers = {}) {
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(token));
    auto reply = client_->Send(method, target, body, headers);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? *reply : api_client::HttpReply{};
  }

  // Sends `body` (null: none) and expects `expected_status`; the answer's
  // JSON, null if it has none.
  nlohmann::json SendJson(std::string_view method, std::string_view target,
                          const nlohmann::json& body, std::string_view token, int expected_status,
                          Headers headers = {}) {
    api_client::HttpReply reply =
        Send(method, target, body.is_null() ? "" : body.dump(), token, std::move(headers));
    EXPECT_EQ(reply.status, expected_status) << method << " " << target << ": " << reply.body;
    nlohmann::json doc = nlohmann::json::parse(reply.body, nullptr, false);
    return doc.is_discarded() ? nlohmann::json() : doc;
  }

  // The machine code of an error answer, which must carry a message too.
  std::string ErrorCode(const api_client::HttpReply& reply) {
    nlohmann::json doc = nlohmann::json::parse(reply.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("error") || !doc["error"]["code"].is_string()) {
      return "(no error body: " + reply.body + ")";
    }
    EXPECT_TRUE(doc["error"]["message"].is_string()) << reply.body;
    return doc["error"]["code"].get<std::string>();
  }

  // A refused call: `status` and the machine code `code`.
  void ExpectRefused(std::string_view method, std::string_view target, std::string_view body,
                     std::string_view token, int status, std::string_view code) {
    api_client::HttpReply reply = Send(method, target, body, token);
    EXPECT_EQ(reply.status, status) << method << " " << target << " " << body << ": " << reply.body;
    EXPECT_EQ(ErrorCode(reply), code)
        << method << " " << target << " " << body << ": " << reply.body;
  }

  // How many rows each of `tables` holds: a refused call must change none.
  std::map<std::string, std::int64_t> RowCounts(std::span<const char* const> tables) {
    std::map<std::string, std::int64_t> counts;
    auto tx = db().Begin(store::TransactionMode::kRead);
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    if (!tx.ok()) return counts;
    for (const char* table : tables) {
      auto row = (*tx)->QueryOne(std::string("SELECT COUNT(*) FROM ") + table);
      EXPECT_TRUE(row.ok()) << table << ": " << row.status().ToString();
      counts[table] = row.ok() ? row->Int(0) : -1;
    }
    return counts;
  }

  std::optional<TempDir> dir_;
  server::ServiceConfig config_;
  std::shared_ptr<oidc::TestIdentityProvider> identity_provider_;
  std::shared_ptr<sms::Inbox> inbox_;
  const Clock* service_clock_ = nullptr;
  std::unique_ptr<server::Service> service_;
  std::string base_url_;
  std::unique_ptr<api_client::HttpClient> client_;
  std::string admin_, channel_;
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_SERVICE_TEST_H_
