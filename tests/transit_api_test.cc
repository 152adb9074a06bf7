// The transit scene through the HTTP API, on SQLite and PostgreSQL: a metro
// gate uploads a night's taps (twice: the second upload counts every tap as
// a duplicate), the rider sees the summer night offer's 100 fen, the daily
// clearing balances and is idempotent, and callers of the wrong kind or with
// bad bodies change nothing.
//
// The service runs in-process on a ManualClock at 2026-08-15 21:30 in Jimo,
// and the codes are made at that time, so the platform's online verifier
// accepts them.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "code/presentation.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "server/service.h"
#include "terminal/http_client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"

namespace citycode {
namespace {

using nlohmann::json;
using terminal::HttpReply;

// A fictional adult rider; the ID number carries a valid check character.
constexpr std::string_view kIdNumber = "370282199003154516";
constexpr std::string_view kPhone = "13912345678";

// 2026-08-15 13:30 UTC = 21:30 in Jimo: inside the summer night window.
const Instant kStart = *ParseRfc3339("2026-08-15T13:30:00Z");

constexpr const char* kRowTables[] = {"transit_taps", "transit_charges", "transit_ledger",
                                      "verifications"};

class TransitApiTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dir_.emplace("transit-api");
    config_.database_url = url();
    config_.keyring_file = dir_->path() / "keyring.json";
    config_.http.listen = "127.0.0.1:0";
    config_.platform.password_cost = crypto::PasswordCost::kMinimal;
    config_.vault.checkpoint_file = dir_->path() / "audit-checkpoints.jsonl";
    config_.upkeep_interval = std::chrono::hours(24);
    config_.transit.feed_dir = CITYCODE_TRANSIT_DEMO_FEED;
    auto service = server::Service::Start(config_, clock_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(*service);
    client_ = std::move(
        *terminal::HttpClient::Create("http://127.0.0.1:" + std::to_string(service_->port())));
    admin_ = service_->platform().CreateAdminKey("test admin")->token;
    channel_ = service_->platform().CreateChannelKey(code::Channel::kApp, "test app")->token;
    gate_key_ = NewTerminalKey("即墨公交", "transit_operator", "地铁闸机1");
    hotel_key_ = NewTerminalKey("即墨示例大酒店", "hotel", "前台");
    ASSERT_FALSE(gate_key_.empty());
    ASSERT_FALSE(hotel_key_.empty());
    SetUpCitizen();
  }

  HttpReply Send(std::string_view method, std::string_view target, std::string_view body,
                 std::string_view token,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(token));
    auto reply = client_->Send(method, target, body, headers);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? *reply : HttpReply{};
  }

  json SendJson(std::string_view method, std::string_view target, const json& body,
                std::string_view token, int expected_status,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpReply reply = Send(method, target, body.is_null() ? "" : body.dump(), token, headers);
    EXPECT_EQ(reply.status, expected_status) << method << " " << target << ": " << reply.body;
    json doc = json::parse(reply.body, nullptr, false);
    return doc.is_discarded() ? json() : doc;
  }

  // A refused call: `status` and the machine code.
  void ExpectRefused(std::string_view method, std::string_view target, std::string_view body,
                     std::string_view token, int status, std::string_view code) {
    HttpReply reply = Send(method, target, body, token);
    EXPECT_EQ(reply.status, status) << method << " " << target << " " << body << ": " << reply.body;
    json doc = json::parse(reply.body, nullptr, false);
    ASSERT_TRUE(doc.is_object() && doc.contains("error")) << reply.body;
    EXPECT_EQ(doc["error"]["code"], code) << body << ": " << reply.body;
    EXPECT_TRUE(doc["error"]["message"].is_string());
  }

  std::map<std::string, std::int64_t> RowCounts() {
    std::map<std::string, std::int64_t> counts;
    auto tx = db().Begin(store::TransactionMode::kRead);
    for (const char* table : kRowTables) {
      counts[table] = (*tx)->QueryOne(std::string("SELECT COUNT(*) FROM ") + table)->Int(0);
    }
    return counts;
  }

  // An organisation of `kind` with a site and a terminal; the terminal's key.
  std::string NewTerminalKey(std::string_view name, std::string_view kind,
                             std::string_view terminal) {
    json org = SendJson("POST", "/v1/orgs", {{"name", name}, {"kind", kind}}, admin_, 201);
    const std::string id = org.value("id", "");
    json site = SendJson("POST", "/v1/orgs/" + id + "/sites", {{"name", "一号站"}}, admin_, 201);
    json made = SendJson("POST", "/v1/orgs/" + id + "/terminals",
                         {{"site_id", site.value("id", "")}, {"name", terminal}}, admin_, 201);
    return made.value("api_key", "");
  }

  void SetUpCitizen() {
    SendJson("POST", "/v1/citizens",
             {{"name", "测试市民丁"},
              {"id_number", kIdNumber},
              {"phone", kPhone},
              {"password", "correct horse"}},
             {}, 201);
    json session = SendJson("POST", "/v1/sessions",
                            {{"phone", kPhone}, {"password", "correct horse"}}, {}, 201);
    session_ = session.value("token", "");
    ASSERT_FALSE(session_.empty());
    json enrolled = SendJson("POST", "/v1/me/devices",
                             {{"public_key", device_key_.public_key().ToPem()}, {"label", "phone"}},
                             session_, 201, {{"X-Channel-Key", channel_}});
    auto credential = Base64UrlDecode(enrolled.value("credential", ""));
    ASSERT_TRUE(credential.ok() && !credential->empty()) << enrolled;
    credential_ = *credential;
  }

  // A live code, shown in the city app now.
  std::string Code() {
    auto bytes = code::MakePresentation(
        {.credential = credential_, .made_at = clock_.Now(), .counter = ++counter_}, device_key_);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? code::ToQrText(*bytes) : std::string();
  }

  static json Tap(std::int64_t sequence, std::string_view at, std::string_view route,
                  std::string_view stop, std::string_view kind, std::string code) {
    return {{"sequence", sequence}, {"at", at},     {"route_id", route},
            {"stop_id", stop},      {"kind", kind}, {"code", std::move(code)}};
  }

  // Two bus rides and a metro ride in the night of 15 August.
  json NightBatch() {
    return {
        {"taps",
         json::array({Tap(1, "2026-08-15T21:30:00+08:00", "bus_1", "B101", "board", Code()),
                      Tap(2, "2026-08-15T22:10:00+08:00", "bus_2", "B201", "board", Code()),
                      Tap(3, "2026-08-15T23:00:00+08:00", "metro_11", "M01", "entry", Code()),
                      Tap(4, "2026-08-15T23:25:00+08:00", "metro_11", "M03", "exit", Code())})}};
  }

  ManualClock clock_{kStart};
  std::optional<testing::TempDir> dir_;
  server::ServiceConfig config_;
  std::unique_ptr<server::Service> service_;
  std::unique_ptr<terminal::HttpClient> client_;
  std::string admin_, channel_, gate_key_, hotel_key_, session_;
  const crypto::PrivateKey device_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  Bytes credential_;
  std::uint64_t counter_ = 0;
};

// Acceptance: a batch uploaded twice counts once; the night costs 100 fen in
// the app; the clearing balances and a second run returns the same report.
TEST_P(TransitApiTest, ANightsTapsCostOneYuanAndClearToTheOperators) {
  const json batch = NightBatch();
  json first = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(first, json({{"stored", 4}, {"duplicates", 0}, {"refused", 0}})) << first;
  const auto after_first = RowCounts();
  // The same batch again (the same, now spent, codes): deduplicated before
  // verification, so nothing is refused as a replay and nothing is written.
  json again = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(again, json({{"stored", 0}, {"duplicates", 4}, {"refused", 0}})) << again;
  EXPECT_EQ(RowCounts(), after_first);

  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  ASSERT_EQ(trips["trips"].size(), 3u) << trips;
  std::int64_t sum = 0, base = 0;
  for (const json& trip : trips["trips"]) {
    sum += trip["amount"].get<std::int64_t>();
    base += trip["base_amount"].get<std::int64_t>();
    EXPECT_FALSE(trip["rules"].get<std::string>().empty()) << trip;
  }
  EXPECT_EQ(sum, 100) << trips;
  EXPECT_EQ(trips["total"], 100) << trips;
  EXPECT_EQ(base, 200 + 200 + 300) << "bus, bus, metro M01-M03: " << trips;
  EXPECT_EQ(trips["trips"][0]["start"], "2026-08-15T13:30:00Z") << trips;

  json bill = SendJson("GET", "/v1/me/bill?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(bill["total"], 100) << bill;
  EXPECT_EQ(bill["balance"], 100) << bill;

  json report = SendJson("POST", "/v1/transit/clearing", {{"day", "2026-08-15"}}, admin_, 200);
  EXPECT_EQ(report["rider_total"], 100) << report;
  EXPECT_EQ(report["settled_total"], 100) << report;
  EXPECT_EQ(report["trips"], 3) << report;
  EXPECT_EQ(report["version"], 1) << report;
  std::int64_t settled = 0;
  for (const json& op : report["operators"]) settled += op["settled"].get<std::int64_t>();
  EXPECT_EQ(settled, 100) << report;
  json second = SendJson("POST", "/v1/transit/clearing", {{"day", "2026-08-15"}}, admin_, 200);
  EXPECT_EQ(second, report);
}

// A batch cut off after two taps and sent again whole stores every tap once.
TEST_P(TransitApiTest, ABatchCutOffHalfwayAndResentCountsEveryTapOnce) {
  json batch = NightBatch();
  json half = {{"taps", json::array({batch["taps"][0], batch["taps"][1]})}};
  json first = SendJson("POST", "/v1/transit/taps", half, gate_key_, 200);
  EXPECT_EQ(first["stored"], 2) << first;
  json whole = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(whole, json({{"stored", 2}, {"duplicates", 2}, {"refused", 0}})) << whole;
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  EXPECT_EQ(trips["total"], 100) << trips;
}

// A code that does not verify is kept as a refused tap; the terminal learns
// only the counts.
TEST_P(TransitApiTest, ARefusedCodeIsStoredAsARefusedTap) {
  json batch = {{"taps", json::array({Tap(7, "2026-08-15T21:31:00+08:00", "bus_1", "B101", "board",
                                          "CC1:not-a-code")})}};
  json reply = SendJson("POST", "/v1/transit/taps", batch, gate_key_, 200);
  EXPECT_EQ(reply, json({{"stored", 1}, {"duplicates", 0}, {"refused", 1}})) << reply;
  json trips = SendJson("GET", "/v1/me/trips?day=2026-08-15", nullptr, session_, 200);
  EXPECT_TRUE(trips["trips"].empty()) << trips;
}

TEST_P(TransitApiTest, WrongCallersAndBadBodiesChangeNothing) {
  const auto before = RowCounts();
  const std::string good = NightBatch().dump();
  ExpectRefused("POST", "/v1/transit/taps", good, hotel_key_, 403, "permission_denied");
  ExpectRefused("POST", "/v1/transit/taps", good, session_, 403, "permission_denied");
  ExpectRefused("POST", "/v1/transit/taps", good, "", 401, "unauthenticated");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":"2026-08-15"})", gate_key_, 403,
                "permission_denied");
  ExpectRefused("GET", "/v1/me/trips?day=2026-08-15", "", gate_key_, 403, "permission_denied");

  const std::string code = Code();
  auto taps = [&](const json& tap) { return json{{"taps", json::array({tap})}}.dump(); };
  const json tap = Tap(1, "2026-08-15T21:30:00+08:00", "bus_1", "B101", "board", code);
  ExpectRefused("POST", "/v1/transit/taps", "{", gate_key_, 400, "malformed_json");
  ExpectRefused("POST", "/v1/transit/taps", R"({"taps":{}})", gate_key_, 400, "wrong_type");
  ExpectRefused("POST", "/v1/transit/taps", R"({"taps":[1]})", gate_key_, 400, "wrong_type");
  ExpectRefused("POST", "/v1/transit/taps", R"({})", gate_key_, 400, "missing_field");
  ExpectRefused("POST", "/v1/transit/taps", R"({"taps":[],"terminal_id":"x"})", gate_key_, 400,
                "unknown_field");
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back(json::object());
  ExpectRefused("POST", "/v1/transit/taps", json{{"taps", too_many}}.dump(), gate_key_, 400,
                "field_too_long");
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, json>>{{"sequence", -1},
                                                 {"sequence", "1"},
                                                 {"at", "yesterday"},
                                                 {"route_id", "bus_99"},
                                                 {"stop_id", "X1"},
                                                 {"kind", "tap"},
                                                 {"code", ""},
                                                 {"terminal_id", "other-gate"}}) {
    json bad = tap;
    bad[key] = value;
    ExpectRefused("POST", "/v1/transit/taps", taps(bad), gate_key_, 400, "bad_tap");
  }
  json missing = tap;
  missing.erase("code");
  ExpectRefused("POST", "/v1/transit/taps", taps(missing), gate_key_, 400, "bad_tap");
  // One bad tap refuses the whole batch before any code is verified.
  json mixed = {{"taps", json::array({tap, Tap(2, "bad", "bus_1", "B101", "board", Code())})}};
  ExpectRefused("POST", "/v1/transit/taps", mixed.dump(), gate_key_, 400, "bad_tap");

  ExpectRefused("GET", "/v1/me/trips", "", session_, 400, "invalid_argument");
  ExpectRefused("GET", "/v1/me/trips?day=2026-13-01", "", session_, 400, "invalid_argument");
  ExpectRefused("GET", "/v1/me/bill?day=15.08.2026", "", session_, 400, "invalid_argument");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":"2026-08-32"})", admin_, 400,
                "invalid_argument");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":20260815})", admin_, 400, "wrong_type");
  EXPECT_EQ(RowCounts(), before);

  // The code those bad bodies carried was never spent.
  json ok = SendJson("POST", "/v1/transit/taps", json::parse(taps(tap)), gate_key_, 200);
  EXPECT_EQ(ok["stored"], 1) << ok;
  EXPECT_EQ(ok["refused"], 0) << ok;
}

// Without a feed the transit routes exist but answer 503.
TEST_P(TransitApiTest, WithoutAFeedTheRoutesAreUnavailable) {
  service_->Stop();
  service_.reset();
  config_.transit.feed_dir.clear();
  auto service = server::Service::Start(config_, clock_);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  service_ = std::move(*service);
  client_ = std::move(
      *terminal::HttpClient::Create("http://127.0.0.1:" + std::to_string(service_->port())));
  ExpectRefused("POST", "/v1/transit/taps", NightBatch().dump(), gate_key_, 503, "unavailable");
  ExpectRefused("GET", "/v1/me/trips?day=2026-08-15", "", session_, 503, "unavailable");
  ExpectRefused("GET", "/v1/me/bill?day=2026-08-15", "", session_, 503, "unavailable");
  ExpectRefused("POST", "/v1/transit/clearing", R"({"day":"2026-08-15"})", admin_, 503,
                "unavailable");
}

INSTANTIATE_TEST_SUITE_P(Backends, TransitApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
