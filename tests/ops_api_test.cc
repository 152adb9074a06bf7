// The operator's dashboard through the HTTP API, on both backends: after
// valid, replayed, revoked and unreadable codes at two scenes, it counts
// them by hour, scene and reason as the verifications table does, the
// same across an hour's totals being added (no event counted twice or
// lost), names the terminal gone silent, and answers only an admin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "code/presentation.h"
#include "common/bytes.h"
#include "crypto/key.h"
#include "tests/support/people.h"
#include "tests/support/service_test.h"

namespace citycode {
namespace {

using nlohmann::json;

const Instant kStart = *ParseRfc3339("2026-12-06T09:20:00+08:00");

class OpsApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("ops-api");
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
    gate_ = NewTerminalKey("测试公交", "transit_operator", "1路");
    window_ = NewTerminalKey("测试大厅", "service_hall", "1号窗口");
    RegisterCitizen("测试市民甲", testing::IdNumber(1), "13912345678", "correct horse");
    session_ = SendJson("POST", "/v1/sessions",
                        {{"phone", "13912345678"}, {"password", "correct horse"}}, {}, 201)
                   .value("token", "");
    const json enrolled =
        SendJson("POST", "/v1/me/devices", {{"public_key", device_.public_key().ToPem()}}, session_,
                 201, {{"X-Channel-Key", channel_}});
    device_id_ = enrolled.value("device_id", "");
    credential_ = *Base64UrlDecode(enrolled.value("credential", ""));
  }

  std::string NewTerminalKey(std::string_view org_name, std::string_view kind,
                             std::string_view site) {
    const std::string org =
        SendJson("POST", "/v1/orgs", {{"name", org_name}, {"kind", kind}}, admin_, 201)
            .value("id", "");
    const std::string site_id =
        SendJson("POST", "/v1/orgs/" + org + "/sites", {{"name", site}}, admin_, 201)
            .value("id", "");
    return SendJson("POST", "/v1/orgs/" + org + "/terminals",
                    {{"site_id", site_id}, {"name", std::string(site) + " 1"}}, admin_, 201)
        .value("api_key", "");
  }

  std::string Code() {
    auto code = code::MakePresentation(
        {.credential = credential_, .made_at = clock_.Now(), .counter = ++counter_}, device_);
    EXPECT_TRUE(code.ok());
    return code.ok() ? code::ToQrText(*code) : "";
  }

  std::string Verify(const std::string& terminal, const std::string& code) {
    return SendJson("POST", "/v1/verify", {{"code", code}}, terminal, 200).value("reason", "");
  }

  json Dashboard(std::string_view query = "") {
    return SendJson("GET", "/v1/ops/dashboard" + std::string(query), nullptr, admin_, 200);
  }

  // The table's own counts by scene and reason, to hold the dashboard to.
  std::map<std::pair<std::string, std::string>, std::int64_t> TableCounts() {
    std::map<std::pair<std::string, std::string>, std::int64_t> counts;
    auto tx = db().Begin(store::TransactionMode::kRead);
    EXPECT_TRUE(tx.ok());
    auto rows = (*tx)->Query(
        "SELECT scene, reason, COUNT(*) FROM verifications WHERE valid = 0 GROUP BY scene, reason");
    EXPECT_TRUE(rows.ok());
    for (const auto& row : *rows) counts[{row.Text(0), row.Text(1)}] = row.Int(2);
    return counts;
  }

  static std::map<std::pair<std::string, std::string>, std::int64_t> Refusals(const json& board) {
    std::map<std::pair<std::string, std::string>, std::int64_t> counts;
    for (const json& r : board["verifications"]["refusals"])
      counts[{r["scene"], r["reason"]}] = r["count"];
    return counts;
  }

  // valid and refused by (hour, scene).
  static std::map<std::pair<std::string, std::string>, std::pair<int, int>> ByHour(
      const json& board) {
    std::map<std::pair<std::string, std::string>, std::pair<int, int>> cells;
    for (const json& h : board["verifications"]["by_hour"]) {
      cells[{h["hour"], h["scene"]}] = {h["valid"].get<int>(), h["refused"].get<int>()};
    }
    return cells;
  }

  ManualClock clock_{kStart};
  crypto::PrivateKey device_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::string gate_, window_, session_, device_id_;
  Bytes credential_;
  std::uint64_t counter_ = 0;
};

TEST_P(OpsApiTest, CountsEveryVerificationOnceByHourSceneAndReason) {
  // 09:20: at the gate a valid code, the same again, and no code at all; at
  // the hall a valid code.
  const std::string first = Code();
  EXPECT_EQ(Verify(gate_, first), "valid");
  EXPECT_EQ(Verify(gate_, first), "replayed");
  EXPECT_EQ(Verify(gate_, "CC1:not a code"), "malformed");
  EXPECT_EQ(Verify(window_, Code()), "valid");
  const json board = Dashboard();
  EXPECT_EQ(board["hours"], 24);
  EXPECT_EQ(board["since"], "2026-12-05T02:00:00Z") << "the 23 whole hours before 01:00Z and it";
  EXPECT_EQ(board["verifications"]["valid"], 2) << board;
  EXPECT_EQ(board["verifications"]["refused"], 2) << board;
  const auto nine = ByHour(board);
  EXPECT_EQ(nine, (std::map<std::pair<std::string, std::string>, std::pair<int, int>>{
                      {{"2026-12-06T01:00:00Z", "transit"}, {1, 2}},
                      {{"2026-12-06T01:00:00Z", "gov"}, {1, 0}}}))
      << board;
  EXPECT_EQ(Refusals(board), TableCounts());
  EXPECT_EQ(board["terminals"]["active"], 2) << board;
  EXPECT_EQ(board["terminals"]["silent"], 0) << board;
  EXPECT_TRUE(board["scenes"].is_object()) << board;
  EXPECT_EQ(board["outbox"]["pending"], 0) << board;
  EXPECT_TRUE(board["vault"]["audit"]["head"]["seq"].is_number()) << board;

  // 11:30: the 09:00 hour has ended and is totalled; a lost phone's code
  // at the gate is refused. Nothing counted twice or lost.
  clock_.Advance(std::chrono::minutes(130));
  SendJson("POST", "/v1/me/devices/" + device_id_ + "/lost", nullptr, session_, 200);
  EXPECT_EQ(Verify(gate_, Code()), "credential_revoked");
  const json later = Dashboard();
  auto expected = nine;
  expected[{"2026-12-06T03:00:00Z", "transit"}] = {0, 1};
  EXPECT_EQ(ByHour(later), expected) << later;
  EXPECT_EQ(Refusals(later), TableCounts());
  EXPECT_EQ(Dashboard(), later) << "a second query adds no totals again";
  auto tx = db().Begin(store::TransactionMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto totalled =
      (*tx)->QueryOne("SELECT COUNT(*), CAST(SUM(count) AS BIGINT) FROM verification_hours");
  ASSERT_TRUE(totalled.ok());
  EXPECT_EQ(totalled->Int(0), 4) << "09:00: transit valid, replayed, malformed; gov valid";
  EXPECT_EQ(totalled->Int(1), 4);
  tx->reset();

  // The hall has been silent for over an hour; the gate has not.
  EXPECT_EQ(later["terminals"]["active"], 1) << later;
  ASSERT_EQ(later["terminals"]["silent_terminals"].size(), 1u) << later;
  const json& silent = later["terminals"]["silent_terminals"][0];
  EXPECT_EQ(silent["org_name"], "测试大厅");
  EXPECT_EQ(silent["scene"], "gov");
  EXPECT_EQ(silent["last_seen"], "2026-12-06T01:20:00Z");

  // A window of 2 hours starts at 02:00Z: the 09:00 hour is left out.
  const json recent = Dashboard("?hours=2");
  EXPECT_EQ(recent["verifications"]["valid"], 0) << recent;
  EXPECT_EQ(recent["verifications"]["refused"], 1) << recent;
}

TEST_P(OpsApiTest, AnswersAnAdminOnlyAndRefusesABadWindow) {
  for (const char* query : {"?hours=0", "?hours=169", "?hours=x", "?hours=24h", "?hours="}) {
    ExpectRefused("GET", std::string("/v1/ops/dashboard") + query, "", admin_, 400, "bad_hours");
  }
  ExpectRefused("GET", "/v1/ops/dashboard", "", gate_, 403, "permission_denied");
  ExpectRefused("GET", "/v1/ops/dashboard", "", session_, 403, "permission_denied");
  ExpectRefused("GET", "/v1/ops/dashboard", "", "", 401, "unauthenticated");
  EXPECT_EQ(Dashboard("?hours=168")["hours"], 168);
  // The organisation page's start names an organisation admin's own; it is
  // not the city's admin's, and the dashboard is not theirs.
  const std::string org_id =
      SendJson("POST", "/v1/orgs", {{"name", "测试医院"}, {"kind", "hospital"}}, admin_, 201)
          .value("id", "");
  const std::string org_admin =
      SendJson("POST", "/v1/orgs/" + org_id + "/admin-keys", {{"name", "it"}}, admin_, 201)
          .value("api_key", "");
  const json own = SendJson("GET", "/v1/org", nullptr, org_admin, 200);
  EXPECT_EQ(own["id"], org_id);
  EXPECT_EQ(own["name"], "测试医院");
  EXPECT_EQ(own["kind"], "hospital");
  ExpectRefused("GET", "/v1/ops/dashboard", "", org_admin, 403, "permission_denied");
  const api_client::HttpReply org = Send("GET", "/v1/org", "", admin_);
  EXPECT_EQ(org.status, 403);
  EXPECT_THAT(org.body, ::testing::HasSubstr("an admin may not call this route"));

  const json doc = SendJson("GET", "/v1/openapi.json", nullptr, {}, 200);
  const json& op = doc["paths"]["/v1/ops/dashboard"]["get"];
  ASSERT_TRUE(op.is_object()) << "the route is documented";
  ASSERT_EQ(op["parameters"].size(), 1u) << op;
  EXPECT_EQ(op["parameters"][0]["name"], "hours");
  EXPECT_EQ(op["parameters"][0]["in"], "query");
}

INSTANTIATE_TEST_SUITE_P(Backends, OpsApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
