// The server serves what the scene list declares and nothing else, and a
// storage failure under any /v1 route reaches the client as a generic answer
// with a request id while the log gets the detail.
#include <gtest/gtest.h>

#include <regex>

#include "api/scene.h"
#include "scenes/scene_list.h"
#include "tests/support/faulty_database.h"
#include "tests/support/service_test.h"

namespace citycode {
namespace {

using nlohmann::json;

// The smallest scene: one route that reads the database.
class ParkingScene final : public api::Scene {
 public:
  explicit ParkingScene(store::Database& db) : db_(db) {}
  std::vector<api::RouteSpec> Routes() override {
    return {
        {.method = api::Method::kGet,
         .pattern = "/v1/parking/spaces",
         .name = "parking_spaces",
         .summary = "Free spaces",
         .roles = api::kTerminals,
         .handler = [this](api::Call&) {
           return api::Respond(db_.SchemaVersion(), 200, [](int) { return json{{"free", 42}}; });
         }}};
  }

 private:
  store::Database& db_;
};

class ParkingModule final : public api::SceneModule {
 public:
  std::string_view name() const override { return "parking"; }
  code::Scene kind() const override { return code::Scene::kAccess; }
  int migration_block() const override { return 9000; }
  Result<std::unique_ptr<api::Scene>> Open(const api::SceneContext& context) override {
    return std::unique_ptr<api::Scene>(std::make_unique<ParkingScene>(context.db));
  }
};

std::vector<std::unique_ptr<api::SceneModule>> ListWithParking() {
  auto modules = scenes::AllSceneModules();
  modules.push_back(std::make_unique<ParkingModule>());
  return modules;
}

class SceneApiTest : public testing::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("scene-api");
  }

  ManualClock clock_{FromUnixSeconds(1'780'000'000)};
  // A member, so that it outlives the service, which TearDown stops.
  std::optional<testing::FaultyDatabase> faulty_;

  std::string TerminalKey() {
    platform::Platform& p = service_->platform();
    auto org = p.organisations().Create("Heshan car park", platform::OrgKind::kAccessSite);
    auto site = p.organisations().CreateSite(org->id, "North gate");
    auto terminal = p.access_keys().CreateTerminal(org->id, site->id, "barrier 1");
    EXPECT_TRUE(terminal.ok()) << terminal.status().ToString();
    return terminal.ok() ? terminal->second.token : std::string();
  }
};

TEST_P(SceneApiTest, AFakeSceneInTheListIsServed) {
  ASSERT_NO_FATAL_FAILURE(StartService(clock_, {.scene_list = ListWithParking}));
  const std::string key = TerminalKey();
  const json answer = SendJson("GET", "/v1/parking/spaces", nullptr, key, 200);
  EXPECT_EQ(answer["free"], 42);
  const api_client::HttpReply openapi = Send("GET", "/v1/openapi.json");
  EXPECT_NE(openapi.body.find("/v1/parking/spaces"), std::string::npos);
  ExpectRefused("GET", "/v1/parking/spaces", "", admin_, 403, "permission_denied");
}

TEST_P(SceneApiTest, WithoutItsListEntryTheSceneDoesNotExist) {
  ASSERT_NO_FATAL_FAILURE(StartService(clock_));
  ExpectRefused("GET", "/v1/parking/spaces", "", admin_, 404, "not_found");
}

// Every statement fails with a storage error that names SQL and a file; no
// answer of any route in the OpenAPI document (/v1, and /fhir/r4 with its
// OperationOutcome) may show either.
TEST_P(SceneApiTest, AStorageFailureUnderAnyRouteIsGenericWithARequestId) {
  testing::FaultyDatabase& faulty = faulty_.emplace(db());
  ASSERT_NO_FATAL_FAILURE(StartService(clock_, {.database = &faulty}));
  const std::string key = TerminalKey();
  const json openapi = SendJson("GET", "/v1/openapi.json", nullptr, "", 200);
  const std::string secret_sql = "SELECT id_number FROM citizens WHERE phone = '13800000000'";
  const std::string secret_path = "/var/lib/citycode/citycode.db";
  for (StatusCode code : {StatusCode::kUnavailable, StatusCode::kInternal}) {
    faulty.Arm({.point = testing::FaultPoint::kStatement,
                .error = Status::System(
                    code, "sqlite: disk I/O error [" + secret_sql + "] in " + secret_path),
                .sticky = true});
    int failed = 0;
    for (const auto& [pattern, operations] : openapi["paths"].items()) {
      const std::string target = std::regex_replace(pattern, std::regex("\\{[a-z_]+\\}"), "x1");
      for (const auto& [method, operation] : operations.items()) {
        std::string upper = method;
        for (char& c : upper) c = static_cast<char>(std::toupper(c));
        const std::string token = operation.contains("security") ? key : "";
        ::testing::internal::CaptureStderr();
        const api_client::HttpReply reply = Send(upper, target, upper == "POST" ? "{}" : "", token);
        const std::string log = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(reply.body.find("SELECT"), std::string::npos) << upper << " " << target;
        EXPECT_EQ(reply.body.find(secret_path), std::string::npos) << upper << " " << target;
        EXPECT_EQ(reply.body.find("13800000000"), std::string::npos) << upper << " " << target;
        if (reply.status < 500) continue;  // refused before storage (a missing field, say)
        ++failed;
        EXPECT_EQ(reply.status, code == StatusCode::kUnavailable ? 503 : 500) << target;
        const json body = json::parse(reply.body);
        const std::string id(reply.Header("x-request-id"));
        const std::string expected = code == StatusCode::kUnavailable ? "unavailable" : "internal";
        if (target.starts_with("/fhir/")) {  // FHIR's own error shape
          const json& issue = body["issue"][0];
          EXPECT_EQ(issue["details"]["coding"][0]["code"], expected) << target;
          EXPECT_NE(issue["diagnostics"].get<std::string>().find(id), std::string::npos);
        } else {
          EXPECT_EQ(body["error"]["code"], expected) << target;
          EXPECT_EQ(body["error"]["request_id"], id);
        }
        EXPECT_NE(log.find(id), std::string::npos) << log;
        EXPECT_NE(log.find(secret_sql), std::string::npos) << log;
      }
    }
    // Every route with a bearer token authenticates through storage first.
    EXPECT_GT(failed, 40);
  }
  faulty.Disarm();
}

INSTANTIATE_TEST_SUITE_P(Backends, SceneApiTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
