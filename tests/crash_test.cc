// Crashes at random points (issue 22, item 3): `citycode demo` takes a mixed
// stream of writes from several clients at once — organisations, citizen
// registrations with their logins and phones, online verifications, a
// gate's taps, an access gate's passages, an agency's certificates, a
// hotel's certificate fetches under the guest's consent — and
// is killed with SIGKILL after a seeded random number of acknowledged
// writes, several rounds on one database. After each restart every
// acknowledged write is there exactly once (a repeat is a replay, a
// duplicate or unchanged), the audit log verifies, every rider's balance is
// the sum of their postings and each operating day clears.
//
// CITYCODE_CRASH_SEED=N repeats a run (the seed is printed);
// CITYCODE_CRASH_ROUNDS=N sets the rounds (default 3). On both backends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "api_client/http_client.h"
#include "api_client/simulator.h"
#include "code/presentation.h"
#include "common/clock.h"
#include "common/files.h"
#include "crypto/key.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"
#include "vault/sample_certificates.h"

namespace citycode {
namespace {

using api_client::HttpClient;
using nlohmann::json;
using testing::ChildProcess;

constexpr std::string_view kAgencyName = "即墨公安分局户政科";  // the demo's
constexpr std::string_view kAgencyCode = "11370282MB0000001X";  // its credit code

// Why this thread's last Call was not acknowledged.
thread_local std::string last_refusal;

std::uint64_t EnvOr(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

// One kind of write: `write` makes the i-th and returns what a later check
// needs of it, or nothing when the server did not acknowledge it (the
// stream then stops: the server is being killed); `check` holds every
// acknowledged one against the restarted server.
struct Stream {
  std::string name;
  std::function<std::optional<json>(HttpClient&, int)> write;
  std::function<void(HttpClient&, const std::vector<json>&)> check;
};

class CrashTest : public testing::DatabaseTest {
 protected:
  // Starts (or restarts) the demo on the test's database and reads its keys.
  // Every round's registrations come from this one address: more rounds
  // than the default texts per address and hour allow.
  void StartServer() {
    const auto config = dir_.path() / "citycode.toml";
    std::ofstream(config) << "[sms]\nmax_texts_per_address_hour = 1000000\n";
    server_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "demo", "--dir", dir_.path().string(), "--db", url(), "--config", config.string(),
        "--checkpoints", checkpoints(), "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForOutput("All keys")) << server_->output();
    const std::string& out = server_->output();
    const std::size_t at = out.find("http://");
    ASSERT_NE(at, std::string::npos) << out;
    base_ = out.substr(at, out.find_first_of("/ \n", at + 7) - at);
    auto demo = ReadFile(dir_.path() / "demo.json", 1 << 20);
    ASSERT_TRUE(demo.ok()) << demo.status().ToString();
    demo_ = json::parse(*demo);
    auto device = ReadFile(demo_["device_key_file"].get<std::string>(), 1 << 16);
    auto credential = ReadFile(demo_["credential_file"].get<std::string>(), 4096);
    ASSERT_TRUE(device.ok() && credential.ok());
    device_ = std::make_shared<const crypto::PrivateKey>(*crypto::PrivateKey::FromPem(*device));
    credential_ = Bytes(credential->begin(), credential->end());
  }

  std::string checkpoints() const { return (dir_.path() / "checkpoints.jsonl").string(); }

  std::unique_ptr<HttpClient> Client() { return std::move(*HttpClient::Create(base_)); }

  std::string TerminalKey(std::string_view scene, std::string_view org) const {
    for (const json& t : demo_["terminals"]) {
      if (t["scene"] == scene && t["org"] == org) return t["api_key"];
    }
    ADD_FAILURE() << "no demo terminal of " << org;
    return "";
  }

  // A fresh code of the demo phone, made now.
  std::string Code() {
    auto bytes = code::MakePresentation(
        {.credential = credential_, .made_at = SystemClock().Now(), .counter = ++counter_},
        *device_);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? code::ToQrText(*bytes) : "";
  }

  // Sends `body` (none if null) with `key` (none if empty); the reply, or
  // unavailable.
  static Result<api_client::HttpReply> Send(HttpClient& client, std::string_view method,
                                            std::string_view path, const json& body,
                                            const std::string& key) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    return client.Send(method, path, body.is_null() ? "" : body.dump(), headers);
  }

  // The answer's JSON when its status is `expected`, else nothing (and
  // last_refusal says why).
  static std::optional<json> Call(HttpClient& client, std::string_view method,
                                  std::string_view path, const json& body, const std::string& key,
                                  int expected) {
    auto reply = Send(client, method, path, body, key);
    if (reply.ok() && reply->status == expected) return json::parse(reply->body, nullptr, false);
    last_refusal = std::string(method) + " " + std::string(path) + ": " +
                   (reply.ok() ? std::to_string(reply->status) + " " + reply->body
                               : reply.status().ToString());
    return std::nullopt;
  }

  // The same when the answer must be there (the server is up).
  static json Expect(HttpClient& client, std::string_view method, std::string_view path,
                     const json& body, const std::string& key, int expected) {
    auto reply = Send(client, method, path, body, key);
    EXPECT_TRUE(reply.ok()) << method << " " << path;
    if (!reply.ok()) return nullptr;
    EXPECT_EQ(reply->status, expected) << method << " " << path << ": " << reply->body;
    return json::parse(reply->body, nullptr, false);
  }

  std::vector<Stream> Streams();
  Stream Organisations();
  Stream Registrations();
  Stream Verifications();
  Stream Taps();
  Stream Passages();
  Stream Certificates();
  Stream Fetches();

  // Runs every stream on its own thread and kills the server once they
  // have `kill_after` acknowledged writes between them.
  void RunUntilKilled(std::vector<Stream>& streams, int kill_after);
  void CheckInvariants();

  testing::TempDir dir_{"crash"};
  std::unique_ptr<ChildProcess> server_;
  std::string base_;
  json demo_;
  std::shared_ptr<const crypto::PrivateKey> device_;
  Bytes credential_;
  std::atomic<std::uint64_t> counter_ = 1'000'000;         // above the demo's own codes
  std::atomic<std::int64_t> sequence_ = 0;                 // the gates' tap and passage numbers
  std::map<std::string, std::vector<json>> acknowledged_;  // by stream, over all rounds
  std::string agency_key_;                                 // the agency's admin key
  std::uint64_t run_ = 0;                                  // tells apart this run's phones
  std::uint64_t round_ = 0;
  std::atomic<int> next_write_ = 0;  // numbers every write of the run
};

Stream CrashTest::Organisations() {
  return {"organisations",
          [this](HttpClient& client, int i) -> std::optional<json> {
            const std::string name = "crash " + std::to_string(run_) + " " + std::to_string(i);
            auto made = Call(client, "POST", "/v1/orgs", {{"name", name}, {"kind", "hotel"}},
                             demo_["admin_key"], 201);
            if (!made) return std::nullopt;
            return json{{"id", (*made)["id"]}, {"name", name}};
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            const json listing =
                Expect(client, "GET", "/v1/orgs", nullptr, demo_["admin_key"], 200);
            std::map<std::string, int> by_name;
            for (const json& org : listing["orgs"]) ++by_name[org["name"].get<std::string>()];
            for (const json& org : acked) EXPECT_EQ(by_name[org["name"]], 1) << org;
          }};
}

// Register, confirm the texted code, log in, enrol a phone: each step's
// acknowledgement is what the check holds.
Stream CrashTest::Registrations() {
  return {"registrations",
          [this](HttpClient& client, int i) -> std::optional<json> {
            const std::string phone =
                "197" + std::to_string(10'000'000 + (run_ * 1000 + i) % 90'000'000);
            const json person = {{"phone", phone}, {"password", "crash test " + phone}};
            if (!Call(client, "POST", "/v1/citizens",
                      {{"name", "崩溃测试"},
                       {"id_number", api_client::RandomResidentIdNumber()},
                       {"phone", phone},
                       {"password", person["password"]}},
                      "", 202)) {
              return std::nullopt;
            }
            auto texts =
                Call(client, "POST", "/v1/demo/texts", {{"phone", phone}}, demo_["admin_key"], 200);
            if (!texts || !Call(client, "POST", "/v1/citizens/confirm",
                                {{"phone", phone}, {"code", (*texts)["code"]}}, "", 201)) {
              return std::nullopt;
            }
            auto session = Call(client, "POST", "/v1/sessions", person, "", 201);
            if (!session) return std::nullopt;
            auto device = crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
            auto reply = client.Send(
                "POST", "/v1/me/devices", json{{"public_key", device->public_key().ToPem()}}.dump(),
                {{"Authorization", "Bearer " + (*session)["token"].get<std::string>()},
                 {"X-Channel-Key", demo_["app_channel_key"]}});
            if (!reply.ok() || reply->status != 201) return std::nullopt;
            return json{{"login", person}, {"device_id", json::parse(reply->body)["device_id"]}};
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            for (const json& person : acked) {
              const json session = Expect(client, "POST", "/v1/sessions", person["login"], "", 201);
              if (!session.contains("token")) continue;
              const json devices =
                  Expect(client, "GET", "/v1/me/devices", nullptr, session["token"], 200);
              int found = 0;
              for (const json& d : devices["devices"]) found += d["id"] == person["device_id"];
              EXPECT_EQ(found, 1) << person["device_id"] << " in " << devices;
            }
          }};
}

// A verified code, shown again, is a replay: its record was kept. (Only
// this round's: an older code is stale, refused before its replay record
// is looked at.)
Stream CrashTest::Verifications() {
  return {"verifications",
          [this](HttpClient& client, int) -> std::optional<json> {
            const std::string code = Code();
            auto verdict = Call(client, "POST", "/v1/verify", {{"code", code}},
                                TerminalKey("transit", "即墨公交"), 200);
            if (!verdict) return std::nullopt;
            EXPECT_EQ((*verdict)["reason"], "valid") << *verdict;
            return json{{"code", code}, {"round", round_}};
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            for (const json& code : acked) {
              if (code["round"] != round_) continue;
              const json verdict = Expect(client, "POST", "/v1/verify", {{"code", code["code"]}},
                                          TerminalKey("transit", "青岛地铁"), 200);
              EXPECT_EQ(verdict["reason"], "replayed") << code;
            }
          }};
}

// A gate's batches of two boardings; sent again, every tap is a duplicate.
Stream CrashTest::Taps() {
  const auto tap = [this] {
    return json{{"sequence", ++sequence_}, {"at", FormatRfc3339(SystemClock().Now())},
                {"route_id", "bus_2"},     {"stop_id", "B201"},
                {"kind", "board"},         {"code", Code()}};
  };
  return {"taps",
          [this, tap](HttpClient& client, int) -> std::optional<json> {
            const json batch = {{"taps", {tap(), tap()}}};
            auto stored = Call(client, "POST", "/v1/transit/taps", batch,
                               TerminalKey("transit", "即墨公交"), 200);
            if (!stored) return std::nullopt;
            EXPECT_EQ((*stored)["stored"], 2) << *stored;
            return batch;
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            for (const json& batch : acked) {
              const json again = Expect(client, "POST", "/v1/transit/taps", batch,
                                        TerminalKey("transit", "即墨公交"), 200);
              EXPECT_EQ(again,
                        json({{"stored", 0}, {"duplicates", 2}, {"refused", 0}, {"conflicts", 0}}));
            }
          }};
}

// An access gate's passages; sent again, each is a duplicate.
Stream CrashTest::Passages() {
  return {"passages",
          [this](HttpClient& client, int) -> std::optional<json> {
            const json batch = {{"passages",
                                 {{{"sequence", ++sequence_},
                                   {"at", FormatRfc3339(SystemClock().Now())},
                                   {"code", Code()},
                                   {"admitted", true},
                                   {"reason", "admitted"}}}}};
            auto stored = Call(client, "POST", "/v1/access/passages", batch,
                               TerminalKey("access", "墨河社区"), 200);
            if (!stored) return std::nullopt;
            EXPECT_EQ((*stored)["accepted"], 1) << *stored;
            return batch;
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            for (const json& batch : acked) {
              const json again = Expect(client, "POST", "/v1/access/passages", batch,
                                        TerminalKey("access", "墨河社区"), 200);
              EXPECT_EQ(again["accepted"], 0) << again;
              EXPECT_EQ(again["duplicates"], 1) << again;
            }
          }};
}

// The agency's certificates for made-up holders; pushed again, unchanged.
Stream CrashTest::Certificates() {
  return {"certificates",
          [this](HttpClient& client, int i) -> std::optional<json> {
            auto key = ReadFile(demo_["agency_key_file"].get<std::string>(), 1 << 16);
            auto certificate = vault::SampleCertificate(
                *vault::FindCertificateType("resident_id_card"),
                {"崩溃测试", api_client::RandomResidentIdNumber()},
                {std::string(kAgencyName), std::string(kAgencyCode)},
                900'000'000 + run_ % 1'000'000 * 1000 + static_cast<std::uint64_t>(i), "2024-03-01",
                "2044-03-01");
            EXPECT_TRUE(key.ok() && certificate.ok());
            auto signed_certificate =
                vault::SignCertificate(*certificate, *crypto::PrivateKey::FromPem(*key));
            const json body = {{"certificate", vault::CertificateToJson(*signed_certificate)}};
            auto pushed = Call(client, "POST", "/v1/vault/certificates", body, agency_key_, 201);
            if (!pushed) return std::nullopt;
            return body;
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            for (const json& body : acked) {
              const json again =
                  Expect(client, "POST", "/v1/vault/certificates", body, agency_key_, 200);
              EXPECT_EQ(again["outcome"], "unchanged") << again;
            }
          }};
}

// A hotel's front desk: the code shown (a presentation grant), the ID card
// fetched under it; fetched again, the grant is used up.
Stream CrashTest::Fetches() {
  return {"fetches",
          [this](HttpClient& client, int) -> std::optional<json> {
            auto verdict = Call(client, "POST", "/v1/verify", {{"code", Code()}},
                                TerminalKey("hotel", "即墨古城酒店"), 200);
            if (!verdict) return std::nullopt;
            const json fetch = {{"grant_id", (*verdict)["consent_grant"]["id"]},
                                {"use_cause", "入住登记"}};
            if (!Call(client, "POST", "/v1/vault/fetch", fetch,
                      TerminalKey("hotel", "即墨古城酒店"), 200)) {
              return std::nullopt;
            }
            return fetch;
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            for (const json& fetch : acked) {
              const json again = Expect(client, "POST", "/v1/vault/fetch", fetch,
                                        TerminalKey("hotel", "即墨古城酒店"), 403);
              EXPECT_EQ(again["error"]["code"], "consent_used") << again;
            }
          }};
}

std::vector<Stream> CrashTest::Streams() {
  return {Organisations(), Registrations(), Verifications(), Taps(),
          Passages(),      Certificates(),  Fetches()};
}

void CrashTest::RunUntilKilled(std::vector<Stream>& streams, int kill_after) {
  std::mutex mutex;
  std::condition_variable progress;
  int total = 0;
  std::map<std::string, int> round_acks;
  std::vector<std::string> stopped_early;  // "stream: why", while the server was up
  bool killed = false;
  std::vector<std::thread> writers;
  for (Stream& stream : streams) {
    writers.emplace_back([&, this] {
      auto client = Client();
      for (;;) {
        std::optional<json> acked = stream.write(*client, next_write_++);
        std::lock_guard lock(mutex);
        if (!acked) {
          if (!killed) stopped_early.push_back(stream.name + ": " + last_refusal);
          progress.notify_all();
          return;
        }
        acknowledged_[stream.name].push_back(std::move(*acked));
        ++total;
        ++round_acks[stream.name];
        progress.notify_all();
      }
    });
  }
  {
    // Every stream has written at least once (the slow ones too), and
    // `kill_after` writes are acknowledged.
    std::unique_lock lock(mutex);
    progress.wait(lock, [&] {
      return !stopped_early.empty() || (total >= kill_after && round_acks.size() == streams.size());
    });
    killed = true;
  }
  server_->Kill(SIGKILL);  // the writers are still sending
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(stopped_early, ::testing::IsEmpty()) << "refused while the server was up";
}

void CrashTest::CheckInvariants() {
  const std::string keyring = (dir_.path() / "keyring.json").string();
  const auto audit = testing::RunCitycode(
      {"audit", "verify", "--db", url(), "--keyring", keyring, "--checkpoints", checkpoints()});
  EXPECT_EQ(audit.exit_code, 0) << testing::Describe(audit);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM transit_riders r WHERE r.balance <> "
                     "(SELECT COALESCE(SUM(l.amount), 0) FROM transit_ledger l "
                     "WHERE l.bucket = r.bucket AND l.rider_id = r.rider_id)"),
            0)
      << "a rider's balance is not the sum of their postings";
  auto tx = db().Begin(store::TransactionMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto days = (*tx)->Query(
      "SELECT DISTINCT operating_day FROM transit_ledger WHERE operating_day <> ''", {});
  ASSERT_TRUE(days.ok()) << days.status().ToString();
  for (const store::Row& day : *days) {
    const auto cleared = testing::RunCitycode(
        {"transit", "clear", "--db", url(), "--keyring", keyring, "--feed",
         CITYCODE_TRANSIT_DEMO_FEED, "--day",
         day.Text(0).substr(0, 4) + "-" + day.Text(0).substr(4, 2) + "-" + day.Text(0).substr(6)});
    EXPECT_EQ(cleared.exit_code, 0) << testing::Describe(cleared);
  }
}

TEST_P(CrashTest, KillNineAtRandomPointsLosesNoAcknowledgedWriteAndLeavesNothingHalfDone) {
  const std::uint64_t seed = EnvOr("CITYCODE_CRASH_SEED", std::random_device()());
  const std::uint64_t rounds = EnvOr("CITYCODE_CRASH_ROUNDS", 3);
  RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE("CITYCODE_CRASH_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  run_ = random();

  ASSERT_NO_FATAL_FAILURE(StartServer());
  {
    // The agency's admin key (the demo gives agencies none).
    auto client = Client();
    const json orgs = Expect(*client, "GET", "/v1/orgs", nullptr, demo_["admin_key"], 200);
    std::string agency;
    for (const json& org : orgs["orgs"]) {
      if (org["name"] == kAgencyName) agency = org["id"];
    }
    const json key = Expect(*client, "POST", "/v1/orgs/" + agency + "/admin-keys",
                            {{"name", "crash test"}}, demo_["admin_key"], 201);
    agency_key_ = key.value("api_key", "");
    ASSERT_FALSE(agency_key_.empty()) << key;
  }
  std::vector<Stream> streams = Streams();
  for (round_ = 0; round_ < rounds; ++round_) {
    SCOPED_TRACE("round " + std::to_string(round_));
    const int kill_after = std::uniform_int_distribution<int>(10, 150)(random);
    RunUntilKilled(streams, kill_after);
    ASSERT_NO_FATAL_FAILURE(StartServer());
    auto client = Client();
    for (const Stream& stream : streams) {
      SCOPED_TRACE(stream.name);
      stream.check(*client, acknowledged_[stream.name]);
    }
    CheckInvariants();
  }
  server_->Kill(SIGKILL);
  std::string counts;
  for (const auto& [name, acked] : acknowledged_)
    counts += " " + name + " " + std::to_string(acked.size());
  std::cout << "seed " << seed << ", " << rounds << " kills; acknowledged:" << counts << "\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
