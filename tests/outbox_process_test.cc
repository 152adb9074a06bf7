// `citycode outbox receiver` as a process, killed with SIGKILL in the middle
// of a relay's deliveries and started again on its port, several times:
// every event is stored exactly once (its de-duplication survives the
// kills), in order per stream. On both backends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "outbox/outbox.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"

namespace citycode::outbox {
namespace {

using ::citycode::testing::ChildProcess;
using ::citycode::testing::IsOk;
using nlohmann::json;
using std::chrono::seconds;

std::vector<json> StoredLines(const std::filesystem::path& file) {
  std::vector<json> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    json parsed = json::parse(line, nullptr, false);
    if (parsed.is_object()) lines.push_back(parsed);
  }
  return lines;
}

class OutboxProcessTest : public testing::DatabaseTest {
 protected:
  std::unique_ptr<ChildProcess> StartReceiver(const std::string& port) {
    auto child = std::make_unique<ChildProcess>(std::vector<std::string>{
        "outbox", "receiver", "--listen", "127.0.0.1:" + port, "--secret", secret_, "--store",
        store_file().string(), "--tolerance-seconds", "3600"});
    EXPECT_TRUE(child->WaitForOutput("\"listening\"")) << child->output();
    return child;
  }

  std::filesystem::path store_file() const { return dir_.path() / "received.jsonl"; }

  testing::TempDir dir_{"citycode-outbox-process"};
  const std::string secret_ = NewSecret();
};

TEST_P(OutboxProcessTest, AReceiverKilledMidStreamStoresEveryEventOnceInOrder) {
  auto receiver = StartReceiver("0");
  const json said =
      json::parse(receiver->output().substr(receiver->output().find('{')), nullptr, false);
  ASSERT_TRUE(said.contains("listening")) << receiver->output();
  const std::string port = std::to_string(said["listening"].get<int>());

  // Real time, so the receiver's timestamp check holds; moved on by the
  // relay only while every stream waits for a retry.
  ManualClock clock(SystemClock().Now());
  DestinationConfig police{.name = "police",
                           .url = "http://127.0.0.1:" + port + "/guests",
                           .retry_schedule = std::vector<seconds>(1000, seconds(1)),
                           .jitter = 0,
                           .timeout = seconds(5)};
  police.signer.secrets = {*ParseSecret(secret_)};
  auto outbox = Outbox::Open(db(), clock, {.destinations = {police}, .workers = 4});
  ASSERT_THAT(outbox, IsOk());
  constexpr int kStreams = 4, kPerStream = 50;
  std::set<std::string> ids;
  for (int i = 0; i < kPerStream; ++i) {
    for (int s = 0; s < kStreams; ++s) {
      ASSERT_THAT(store::RunInTransaction(db(), store::TransactionMode::kWrite,
                                          [&](store::Transaction& tx) -> Status {
                                            CITYCODE_ASSIGN_OR_RETURN(
                                                auto event,
                                                (*outbox)->Enqueue(
                                                    tx, {.destination = "police",
                                                         .stream = "stay_" + std::to_string(s),
                                                         .type = "hotel.guest.checked_in",
                                                         .data = {{"n", i}}}));
                                            ids.insert(event.id);
                                            return OkStatus();
                                          }),
                  IsOk());
    }
  }

  std::atomic<bool> done = false;
  std::thread relay([&] {
    for (int round = 0; round < 20000 && !done; ++round) {
      auto result = (*outbox)->RunOnce();
      ASSERT_THAT(result, IsOk());
      if (result->claimed == 0) {
        if (QueryInt("SELECT COUNT(*) FROM outbox_events WHERE state <> 'delivered'") == 0) break;
        clock.Advance(seconds(1));
      }
    }
    done = true;
  });
  // Three kills, each once a few more events have arrived: the relay is
  // sending all the while, so some die in flight.
  for (std::size_t kill = 1; kill <= 3; ++kill) {
    for (int wait = 0; wait < 2000 && !done && StoredLines(store_file()).size() < kill * 40;
         ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a file, bounded
    }
    receiver->Kill(SIGKILL);
    receiver = StartReceiver(port);
  }
  relay.join();

  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM outbox_events WHERE state = 'delivered'"),
            kStreams * kPerStream);
  // The kills did land mid-stream: some tries failed and were repeated.
  EXPECT_GT(QueryInt("SELECT CAST(SUM(attempts) AS BIGINT) FROM outbox_events"),
            kStreams * kPerStream);
  const std::vector<json> lines = StoredLines(store_file());
  std::set<std::string> stored;
  std::map<std::string, std::int64_t> last_sequence;
  for (const json& line : lines) {
    EXPECT_TRUE(stored.insert(line["id"].get<std::string>()).second) << "stored twice: " << line;
    const json body = json::parse(line["body"].get<std::string>());
    std::int64_t& last = last_sequence[body["stream"]];
    EXPECT_EQ(body["sequence"].get<std::int64_t>(), last + 1) << body["stream"];
    last = body["sequence"];
  }
  EXPECT_EQ(stored, ids);
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxProcessTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::outbox
