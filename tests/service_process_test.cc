// The service as operators run it: `citycode serve` and `citycode demo` as
// child processes. Acknowledged writes survive kill -9 (on both backends);
// no personal field reaches the database file, the output or a code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "api_client/http_client.h"
#include "code/credential.h"
#include "code/presentation.h"
#include "common/files.h"
#include "store/database.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"

namespace citycode {
namespace {

using nlohmann::json;
using testing::ChildProcess;

// "citycode: serving http://127.0.0.1:PORT on … with N threads" → the base URL.
std::string ServedUrl(const ChildProcess& child) {
  const std::string& out = child.output();
  const std::size_t at = out.find("http://");
  if (at == std::string::npos) return "";
  return out.substr(at, out.find_first_of(" \n", at) - at);
}

class ServeProcessTest : public testing::DatabaseTest {
 protected:
  std::vector<std::string> ServeArgs() {
    return {"serve",    "--db",       url(), "--keyring", (dir_.path() / "keyring.json").string(),
            "--listen", "127.0.0.1:0"};
  }
  testing::TempDir dir_{"serve-process"};
};

// Acceptance: kill -9 during a stream of acknowledged writes loses none.
TEST_P(ServeProcessTest, KillNineLosesNoAcknowledgedWrite) {
  const auto admin = testing::RunCitycode({"admin", "--db", url(), "--keyring",
                                           (dir_.path() / "keyring.json").string(), "key", "admin",
                                           "--name", "test"});
  ASSERT_EQ(admin.exit_code, 0) << testing::Describe(admin);
  const std::string admin_key = json::parse(admin.out)["api_key"];

  auto server = std::make_unique<ChildProcess>(ServeArgs());
  ASSERT_TRUE(server->WaitForOutput(" threads\n")) << server->output();
  const std::string base = ServedUrl(*server);

  // A writer creates organisations as fast as it can and remembers every
  // one the server acknowledged (201); it stops at the first failure.
  std::mutex mutex;
  std::condition_variable progress;
  std::vector<std::string> acknowledged;
  std::thread writer([&] {
    auto client = api_client::HttpClient::Create(base);
    for (int i = 0;; ++i) {
      auto reply = (*client)->Send(
          "POST", "/v1/orgs", json{{"name", "org " + std::to_string(i)}, {"kind", "hotel"}}.dump(),
          {{"Authorization", "Bearer " + admin_key}});
      if (!reply.ok() || reply->status != 201) break;
      std::lock_guard lock(mutex);
      acknowledged.push_back(json::parse(reply->body)["id"].get<std::string>());
      progress.notify_all();
    }
  });
  {
    std::unique_lock lock(mutex);
    progress.wait(lock, [&] { return acknowledged.size() >= 50; });
  }
  server->Kill(SIGKILL);  // mid-stream: the writer is still sending
  writer.join();
  ASSERT_GE(acknowledged.size(), 50u);

  // Restarted, the server has every acknowledged organisation.
  server = std::make_unique<ChildProcess>(ServeArgs());
  ASSERT_TRUE(server->WaitForOutput(" threads\n")) << server->output();
  auto client = api_client::HttpClient::Create(ServedUrl(*server));
  auto listed = (*client)->Send("GET", "/v1/orgs", {}, {{"Authorization", "Bearer " + admin_key}});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->status, 200);
  std::set<std::string> stored;
  const json listing = json::parse(listed->body);
  for (const auto& org : listing["orgs"]) {
    stored.insert(org["id"].get<std::string>());
  }
  for (const std::string& id : acknowledged) EXPECT_TRUE(stored.contains(id)) << id;
  EXPECT_GE(stored.size(), acknowledged.size());
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeProcessTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

// The operator's master-key rotation: rotate the keyring file, then rewrap.
TEST(AdminCommandTest, MasterKeyRotationRewrapsTheStore) {
  testing::TempDir dir("admin-master-key");
  const std::vector<std::string> admin = {"admin", "--db", "sqlite:" + (dir.path() / "db").string(),
                                          "--keyring", (dir.path() / "keyring.json").string()};
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), admin.begin(), admin.end());
    auto result = testing::RunCitycode(args);
    EXPECT_EQ(result.exit_code, 0) << testing::Describe(result);
    return json::parse(result.out, nullptr, false);
  };
  run({"key", "admin", "--name", "ops"});  // creates the store: root and signing key
  EXPECT_EQ(run({"master-key", "rotate"})["current_master_key"], "mk2");
  EXPECT_EQ(run({"master-key", "rewrap"})["rewrapped"], 2);
  EXPECT_EQ(run({"master-key", "rewrap"})["rewrapped"], 0);
  EXPECT_EQ(run({"signing-key", "list"}).size(), 1u);  // the keys still open
  // Bad usage: exit 2, one line on stderr.
  auto bad = testing::RunCitycode({"admin", "--db", "sqlite:" + (dir.path() / "db").string(),
                                   "--keyring", (dir.path() / "keyring.json").string(), "org",
                                   "create", "--name", "x", "--kind", "bakery"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, ::testing::StartsWith("citycode: kind must be one of"));
}

// The demo lab result's test and values: health data, found nowhere but in
// the answers to its patient and to a hospital under consent.
const std::vector<std::string> kLabResult = {"糖化血红蛋白", "HbA1c", "4.0-6.0"};

// Acceptance: no personal field in the SQLite file, the output, or a code.
TEST(DemoPrivacyTest, NoPersonalFieldInTheDatabaseTheOutputOrACode) {
  testing::TempDir dir("demo-privacy");
  const auto demo_dir = dir.path() / "city";
  auto run = testing::RunCitycode(
      {"demo", "--dir", demo_dir.string(), "--listen", "127.0.0.1:0", "--once"});
  ASSERT_EQ(run.exit_code, 0) << testing::Describe(run);
  EXPECT_THAT(run.out, ::testing::HasSubstr(R"("valid":true)"));

  // The demo citizens (src/demo/demo_city.cc): names and ID numbers, the
  // child's too, and the health data of the demo lab result
  // (src/scenes/medical/medical_demo.cc).
  std::vector<std::string> personal = {
      "演示市民张明",       "演示市民李华",       "演示市民王秀英",     "演示市民赵磊",
      "370282198506201236", "370282200001010012", "370282195001011839", "370211197808083212",
      "演示儿童张小雨",     "370282201903150027"};
  personal.insert(personal.end(), kLabResult.begin(), kLabResult.end());
  // Every file the database consists of, the WAL included.
  std::string stored;
  for (const auto& entry : std::filesystem::directory_iterator(demo_dir)) {
    if (entry.path().filename().string().starts_with("citycode-demo.db")) {
      stored += *ReadFile(entry.path(), 64 * 1024 * 1024);
    }
  }
  ASSERT_GT(stored.size(), 10'000u);
  for (const std::string& field : personal) {
    EXPECT_EQ(stored.find(field), std::string::npos) << field << " is in the database in clear";
    EXPECT_EQ(run.out.find(field), std::string::npos) << field << " was printed";
    EXPECT_EQ(run.err.find(field), std::string::npos) << field << " was logged";
  }
  // Phones are sealed too (the demo prints the demo login on purpose).
  for (const char* phone : {"13900000001", "13900000002", "13900000003", "13900000004"}) {
    EXPECT_EQ(stored.find(phone), std::string::npos) << phone;
  }
  // The printed code carries a pseudonym and nothing else about the citizen.
  const std::size_t at = run.out.find("CC1:");
  ASSERT_NE(at, std::string::npos);
  const std::string text = run.out.substr(at, run.out.find('\n', at) - at);
  auto bytes = code::FromQrText(text);
  ASSERT_TRUE(bytes.ok());
  const std::string raw(AsChars(*bytes));
  for (const std::string& field : personal) EXPECT_EQ(raw.find(field), std::string::npos);
  EXPECT_EQ(raw.find("13900000001"), std::string::npos);
}

// The demo's restart makes the seeded organisations' clerks that a demo
// directory made before them lacks, and no others: an organisation made
// through the demo's API (marked demo) got one too, and hashing a password
// for each made a restart after a few hundred take a minute.
TEST(DemoRestartTest, OnlyTheSeededOrganisationsGetAClerk) {
  testing::TempDir dir("demo-restart");
  const auto demo_dir = dir.path() / "city";
  const std::vector<std::string> args = {"demo",     "--dir",       demo_dir.string(),
                                         "--listen", "127.0.0.1:0", "--once"};
  auto first = testing::RunCitycode(args);
  ASSERT_EQ(first.exit_code, 0) << testing::Describe(first);
  const std::string url = "sqlite:" + (demo_dir / "citycode-demo.db").string();
  auto count = [&](const std::string& sql) -> std::int64_t {
    auto db = store::Database::Open(url);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return -1;
    std::int64_t n = -1;
    const Status status = store::RunInTransaction(
        **db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
          if (sql.starts_with("INSERT")) return tx.Execute(sql, {}).status();
          CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOptional(sql, {}));
          n = row ? row->Int(0) : -1;
          return OkStatus();
        });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return n;
  };
  constexpr char kClerks[] = "SELECT CAST(COUNT(*) AS BIGINT) FROM staff WHERE login = 'clerk'";
  const std::int64_t clerks = count(kClerks);
  ASSERT_GT(clerks, 0);
  count(
      "INSERT INTO organisations (id, name, kind, demo, created_at) VALUES "
      "('org_made_later', 'made through the API', 'service_hall', 1, 0)");

  auto second = testing::RunCitycode(args);
  ASSERT_EQ(second.exit_code, 0) << testing::Describe(second);
  EXPECT_EQ(count(kClerks), clerks);
  EXPECT_EQ(count("SELECT CAST(COUNT(*) AS BIGINT) FROM staff WHERE org_id = 'org_made_later'"), 0);
}

// Acceptance (medical): the demo citizen reads their lab result through the
// API, yet its values are in no log line, no URL the API or the pages use
// (the metrics' route labels included), and no code the demo prints.
TEST(DemoPrivacyTest, NoHealthDataInLogsUrlsOrCodes) {
  testing::TempDir dir("demo-health");
  ChildProcess demo({"demo", "--dir", (dir.path() / "city").string(), "--listen", "127.0.0.1:0"});
  // The line after the live code's: that one has come whole.
  ASSERT_TRUE(demo.WaitForOutput(" gate says: ")) << demo.output();
  const std::string printed = demo.output();
  const std::size_t api = printed.find("  API ");
  ASSERT_NE(api, std::string::npos) << printed;
  const std::size_t from = printed.find("http://", api);
  const std::string base = printed.substr(from, printed.find_first_of("/ \n", from + 7) - from);
  auto client = api_client::HttpClient::Create(base);
  ASSERT_TRUE(client.ok()) << base;
  auto login = (*client)->Send("POST", "/v1/sessions",
                               R"({"phone":"13900000001","password":"citycode-demo"})", {});
  ASSERT_TRUE(login.ok() && login->status == 201) << (login.ok() ? login->body : "");
  const std::string token = json::parse(login->body).value("token", "");
  std::vector<std::string> urls = {"/v1/me/medical/records", "/v1/me/dependants"};
  std::string answers;
  for (const std::string& url : urls) {
    auto reply = (*client)->Send("GET", url, "", {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(reply.ok() && reply->status == 200) << url;
    answers += reply->body;
  }
  auto metrics = (*client)->Send("GET", "/metrics", "", {});
  ASSERT_TRUE(metrics.ok() && metrics->status == 200);
  // Stop the server so that everything it logged has been read.
  ASSERT_EQ(demo.Kill(SIGTERM) & 0x7f, 0) << demo.output();
  for (const std::string& value : kLabResult) {
    EXPECT_NE(answers.find(value), std::string::npos) << value << " should reach its patient";
    EXPECT_EQ(demo.output().find(value), std::string::npos) << value << " was logged";
    EXPECT_EQ(metrics->body.find(value), std::string::npos) << value << " is in a metric";
    for (const std::string& url : urls) EXPECT_EQ(url.find(value), std::string::npos);
  }
  const std::size_t at = printed.find("CC1:");
  ASSERT_NE(at, std::string::npos);
  auto bytes = code::FromQrText(printed.substr(at, printed.find('\n', at) - at));
  ASSERT_TRUE(bytes.ok());
  for (const std::string& value : kLabResult) {
    EXPECT_EQ(std::string(AsChars(*bytes)).find(value), std::string::npos) << value;
  }
}

// The demo prints the pages first, with their logins, and every address it
// prints for a browser answers 200 (the POST route it names is not one).
TEST(DemoPagesTest, ThePagesComeFirstAndEveryPrintedAddressAnswers) {
  testing::TempDir dir("demo-pages");
  ChildProcess demo({"demo", "--dir", (dir.path() / "city").string(), "--listen", "127.0.0.1:0"});
  // The line after the live code's: that one has come whole.
  ASSERT_TRUE(demo.WaitForOutput(" gate says: ")) << demo.output();
  const std::string out = demo.output();
  const std::size_t citizen = out.find("  Citizen page http://");
  ASSERT_NE(citizen, std::string::npos) << out;
  EXPECT_LT(citizen, out.find("  Counter page http://"));
  EXPECT_LT(out.find("  Counter page http://"), out.find("  API "));
  EXPECT_THAT(out, ::testing::HasSubstr("then as staff clerk, password citycode-demo"));

  std::vector<std::string> urls;
  std::istringstream lines(out.substr(0, out.find("  Admin key")));
  for (std::string line; std::getline(lines, line);) {
    for (std::size_t at = line.find("http://"); at != std::string::npos;
         at = line.find("http://", at + 1)) {
      urls.push_back(line.substr(at, line.find_first_of(" \n", at) - at));
    }
  }
  ASSERT_GE(urls.size(), 6u) << out;  // the pages, the API document, health, readiness, metrics
  for (const std::string& url : urls) {
    const std::size_t path = url.find('/', std::string("http://").size());
    auto client = api_client::HttpClient::Create(url.substr(0, path));
    ASSERT_TRUE(client.ok()) << url;
    auto reply = (*client)->Send("GET", path == std::string::npos ? "/" : url.substr(path), "", {});
    ASSERT_TRUE(reply.ok()) << url;
    EXPECT_EQ(reply->status, 200) << url;
  }
}

}  // namespace
}  // namespace citycode
