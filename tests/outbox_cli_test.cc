// `citycode outbox …` as child processes on a SQLite city: what an operator
// sees (JSON lines, exit 2 and one "citycode: …" line for bad input), and
// that a listing never shows an event's data. The city and its events are
// made through the library, as a scene would make them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "city/city.h"
#include "outbox/outbox.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace citycode {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::RunCitycode;
using ::citycode::testing::RunResult;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line, nullptr, false));
  return lines;
}

// Exit 2 and exactly one line on stderr, "citycode: …".
void ExpectUsageError(const RunResult& run) {
  EXPECT_EQ(run.exit_code, 2) << run.command << "\n" << run.err;
  EXPECT_THAT(run.err, MatchesRegex("citycode: [^\n]+\n")) << run.command;
}

class OutboxCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_file_ = (dir_.path() / "citycode.toml").string();
    std::ofstream(config_file_)
        << "[database]\nurl = \"sqlite:" << (dir_.path() / "city.db").string() << "\"\n"
        << "[keys]\nkeyring = \"" << (dir_.path() / "keyring.json").string() << "\"\n"
        << "[vault]\ncheckpoint_file = \"" << (dir_.path() / "checkpoints.jsonl").string() << "\"\n"
        << "[outbox.police]\nurl = \"http://127.0.0.1:9/guests\"\nsecrets = \""
        << outbox::NewSecret() << "\"\n";
    city::CityConfig config;
    ASSERT_THAT(city::LoadConfigFile(config_file_, config), IsOk());
    auto city = city::City::Open(config, clock_);
    ASSERT_THAT(city, IsOk());
    city_ = std::move(*city);
    for (const char* stay : {"stay_1", "stay_1", "stay_2"}) {
      ASSERT_THAT(
          store::RunInTransaction(
              city_->database(), store::TransactionMode::kWrite,
              [&](store::Transaction& tx) -> Status {
                CITYCODE_ASSIGN_OR_RETURN(
                    auto event,
                    city_->outbox().Enqueue(
                        tx, {.destination = "police",
                             .stream = stay,
                             .type = "hotel.guest.checked_in",
                             .data = {{"name", "张三"}, {"id_number", "370282198506201236"}}}));
                ids_.push_back(event.id);
                return OkStatus();
              }),
          IsOk());
    }
  }

  RunResult Run(std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(config_file_);
    return RunCitycode(args);
  }

  testing::TempDir dir_{"citycode-outbox-cli"};
  std::string config_file_;
  SystemClock clock_;
  std::unique_ptr<city::City> city_;
  std::vector<std::string> ids_;
};

TEST_F(OutboxCliTest, ListsEventsWithoutTheirData) {
  const RunResult run = Run({"outbox", "list"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run.out;
  EXPECT_EQ(lines[0]["destination"], "police");
  EXPECT_EQ(lines[0]["state"], "pending");
  EXPECT_EQ(lines[0]["attempts"], 0);
  EXPECT_FALSE(lines[0].contains("data"));
  EXPECT_THAT(run.out, Not(HasSubstr("张三")));
  EXPECT_THAT(run.out, Not(HasSubstr("370282198506201236")));

  const RunResult one_stream = Run({"outbox", "list", "--stream", "stay_1", "--state", "pending"});
  EXPECT_EQ(JsonLines(one_stream.out).size(), 2u) << one_stream.err;
  EXPECT_EQ(JsonLines(Run({"outbox", "list", "--state", "dead"}).out).size(), 0u);
  ExpectUsageError(Run({"outbox", "list", "--state", "lost"}));
  ExpectUsageError(Run({"outbox", "list", "--limit", "0"}));
}

TEST_F(OutboxCliTest, RetryReplayEnableAndDestinations) {
  EXPECT_EQ(Run({"outbox", "retry", ids_[0]}).exit_code, 0);
  ExpectUsageError(Run({"outbox", "retry", "msg_nothing"}));
  const RunResult replay = Run({"outbox", "replay", "--destination", "police"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(json::parse(replay.out)["replayed"], 0);  // nothing delivered or dead yet
  ExpectUsageError(Run({"outbox", "replay", "--destination", "police", "--since", "yesterday"}));
  ExpectUsageError(Run({"outbox", "replay"}));
  ExpectUsageError(Run({"outbox", "enable", "nowhere"}));
  EXPECT_EQ(Run({"outbox", "enable", "police"}).exit_code, 0);
  const RunResult destinations = Run({"outbox", "destinations"});
  ASSERT_EQ(destinations.exit_code, 0) << destinations.err;
  const auto lines = JsonLines(destinations.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["name"], "police");
  EXPECT_EQ(lines[0]["configured"], true);
  EXPECT_EQ(lines[0]["pending"], 3);
}

TEST_F(OutboxCliTest, KeysAreNewAndWellFormed) {
  const RunResult first = RunCitycode({"outbox", "keys"});
  const RunResult second = RunCitycode({"outbox", "keys"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json keys = json::parse(first.out);
  EXPECT_THAT(outbox::ParseSecret(keys["secret"].get<std::string>()), IsOk());
  auto signing_key = outbox::ParseSigningKey(keys["signing_key"].get<std::string>());
  ASSERT_THAT(signing_key, IsOk());
  EXPECT_EQ(outbox::FormatPublicKey(signing_key->public_key()), keys["public_key"]);
  EXPECT_NE(first.out, second.out);
}

TEST_F(OutboxCliTest, TheReceiverRefusesBadOptions) {
  const std::string store = (dir_.path() / "received.jsonl").string();
  const std::string secret = outbox::NewSecret();
  ExpectUsageError(RunCitycode(
      {"outbox", "receiver", "--listen", "nowhere", "--secret", secret, "--store", store}));
  ExpectUsageError(
      RunCitycode({"outbox", "receiver", "--listen", "127.0.0.1:0", "--store", store}));
  ExpectUsageError(RunCitycode({"outbox", "receiver", "--listen", "127.0.0.1:0", "--secret",
                                "whsec_short", "--store", store}));
  ExpectUsageError(RunCitycode({"outbox", "receiver", "--listen", "127.0.0.1:0", "--secret", secret,
                                "--public-key", "whpk_AAAA", "--store", store}));
  ExpectUsageError(RunCitycode({"outbox", "receiver", "--listen", "127.0.0.1:0", "--secret", secret,
                                "--store", store, "--fault", "teapot"}));
  ExpectUsageError(
      RunCitycode({"outbox", "receiver", "--listen", "127.0.0.1:0", "--secret", secret}));
  ExpectUsageError(RunCitycode({"outbox", "bogus"}));
}

TEST_F(OutboxCliTest, AMissingDatabaseIsAnError) {
  ExpectUsageError(
      RunCitycode({"outbox", "list", "--db", "sqlite:" + (dir_.path() / "missing.db").string(),
                   "--keyring", (dir_.path() / "keyring.json").string()}));
}

}  // namespace
}  // namespace citycode
