// Crashes at random points (issue 22, item 3): `citycode demo` takes a mixed
// stream of writes from several clients at once — organisations, citizen
// registrations with their logins and phones, online verifications, a
// gate's taps, an access gate's passages, an agency's certificates, a
// hotel's certificate fetches under the guest's consent, a service hall's
// tickets and cases, a hospital kiosk's bookings that the patient cancels —
// and is killed with SIGKILL after a seeded random number of acknowledged
// writes, several rounds on one database. After each restart every
// acknowledged write is there exactly once (a repeat is a replay, a
// duplicate or unchanged), the audit log verifies, every rider's balance is
// the sum of their postings and each operating day clears. A bulk ingest of
// a day's taps and a vault import of an agency's certificates are killed
// the same way, at random steps, until one finishes.
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
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
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
constexpr std::string_view kHallName = "即墨区政务服务中心";    // the demo's hall
constexpr std::string_view kHallSite = "区政务服务大厅";        // one of its sites
constexpr std::string_view kHospital = "即墨区人民医院";        // a demo hospital

// Why this thread's last Call was not acknowledged.
thread_local std::string last_refusal;

std::uint64_t EnvOr(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

// A test's random choices: seeded by CITYCODE_CRASH_SEED or afresh, the
// seed recorded and named in every failure.
struct SeededRandom {
  SeededRandom() : SeededRandom(EnvOr("CITYCODE_CRASH_SEED", std::random_device()())) {}
  explicit SeededRandom(std::uint64_t s)
      : seed(s), random(s), trace(__FILE__, __LINE__, "CITYCODE_CRASH_SEED=" + std::to_string(s)) {
    ::testing::Test::RecordProperty("seed", std::to_string(s));
  }
  const std::uint64_t seed;
  std::mt19937_64 random;
  ::testing::ScopedTrace trace;
};

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

  // The key of the demo's first terminal of `scene` at `org` whose name
  // holds `name`.
  std::string TerminalKey(std::string_view scene, std::string_view org,
                          std::string_view name = "") const {
    for (const json& t : demo_["terminals"]) {
      if (t["scene"] == scene && t["org"] == org &&
          t["name"].get<std::string>().find(name) != std::string::npos) {
        return t["api_key"];
      }
    }
    ADD_FAILURE() << "no demo terminal " << name << " of " << org;
    return "";
  }

  // The id the demo printed under `label` for `name`: "name: id".
  std::string NoteId(std::string_view label, std::string_view name) const {
    for (const json& note : demo_["notes"]) {
      const std::string text = note["text"];
      if (note["label"] == label && text.starts_with(std::string(name) + ": ")) {
        return text.substr(name.size() + 2);
      }
    }
    ADD_FAILURE() << "no demo note " << label << " " << name;
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
  Stream HallCases();
  Stream Bookings();

  // Runs every stream on its own thread and kills the server once they
  // have `kill_after` acknowledged writes between them.
  void RunUntilKilled(std::vector<Stream>& streams, int kill_after);
  void CheckInvariants();
  // Runs the command `args` again and again, killed with SIGKILL each time
  // once it has printed `step` a random number of times (1 to `max_steps`),
  // until a run finishes first or `max_kills` were killed; then once to its
  // end and once more. That last run's JSON, or null; the kills in `kills`.
  json KillUntilItFinishes(const std::vector<std::string>& args, std::string_view step,
                           int max_steps, int max_kills, std::mt19937_64& random, int& kills);

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
  std::string citizen_session_;                            // the demo phone's holder's
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

// A service hall: a ticket taken at the kiosk, the next one called to the
// window, a case opened on it with the certificates fetched, completed. The
// completed case is there, done, on its ticket; completed again, refused.
Stream CrashTest::HallCases() {
  const std::string kiosk = TerminalKey("gov", kHallName, std::string(kHallSite) + " 1");
  const std::string window = TerminalKey("gov", kHallName, std::string(kHallSite) + " 3号窗口");
  const std::string item = NoteId("Hall item", "户口迁移");
  return {"hall cases",
          [this, kiosk, window, item](HttpClient& client, int) -> std::optional<json> {
            if (!Call(client, "POST", "/v1/gov/tickets", {{"qr", Code()}, {"service_item", item}},
                      kiosk, 201)) {
              return std::nullopt;
            }
            auto called = Call(client, "POST", "/v1/gov/call", nullptr, window, 200);
            if (!called) return std::nullopt;
            const json ticket_id = (*called)["ticket"]["id"];
            auto opened = Call(client, "POST", "/v1/gov/cases",
                               {{"qr", Code()}, {"ticket_id", ticket_id}}, window, 201);
            if (!opened) return std::nullopt;
            const std::string complete =
                "/v1/gov/cases/" + (*opened)["id"].get<std::string>() + "/complete";
            if (!Call(client, "POST", complete, nullptr, window, 200)) return std::nullopt;
            return json{{"case_id", (*opened)["id"]}, {"ticket_id", ticket_id}};
          },
          [window](HttpClient& client, const std::vector<json>& acked) {
            for (const json& done : acked) {
              const std::string path = "/v1/gov/cases/" + done["case_id"].get<std::string>();
              const json stored = Expect(client, "GET", path, nullptr, window, 200);
              EXPECT_EQ(stored["state"], "done") << stored;
              EXPECT_EQ(stored["ticket"]["id"], done["ticket_id"]) << stored;
              const json again = Expect(client, "POST", path + "/complete", nullptr, window, 409);
              EXPECT_EQ(again["error"]["code"], "case_closed") << again;
            }
          }};
}

// A hospital's kiosk books the demo slot of tomorrow for the code's holder,
// who cancels it. Each acknowledged appointment is there once, cancelled,
// its fee and its refund on the bill once each. A booking the kill cut
// off before its cancellation may be there, booked; it is cancelled here,
// or the next round could not book the same session.
Stream CrashTest::Bookings() {
  const std::string kiosk = TerminalKey("medical", kHospital, "门诊楼 1");
  std::string slot;
  for (const json& note : demo_["notes"]) {
    const std::string text = note["text"];
    if (note["label"] == "Medical" && text.starts_with(kHospital)) {
      slot = text.substr(text.rfind(": ") + 2);
    }
  }
  EXPECT_FALSE(slot.empty()) << demo_["notes"];
  return {"bookings",
          [this, kiosk, slot](HttpClient& client, int) -> std::optional<json> {
            auto booked = Call(client, "POST", "/v1/medical/registrations",
                               {{"qr", Code()}, {"slot_id", slot}}, kiosk, 201);
            if (!booked) return std::nullopt;
            const std::string id = (*booked)["id"];
            if (!Call(client, "POST", "/v1/me/medical/appointments/" + id + "/cancel", nullptr,
                      citizen_session_, 200)) {
              return std::nullopt;
            }
            return json(id);
          },
          [this](HttpClient& client, const std::vector<json>& acked) {
            const json mine = Expect(client, "GET", "/v1/me/medical/appointments", nullptr,
                                     citizen_session_, 200);
            std::map<std::string, std::string> state;  // by appointment
            for (const json& a : mine["appointments"]) {
              EXPECT_EQ(state.count(a["id"]), 0u) << a;
              state[a["id"]] = a["state"];
              if (a["state"] == "booked") {
                Expect(client, "POST",
                       "/v1/me/medical/appointments/" + a["id"].get<std::string>() + "/cancel",
                       nullptr, citizen_session_, 200);
              }
            }
            const json bill =
                Expect(client, "GET", "/v1/me/medical/bill", nullptr, citizen_session_, 200);
            std::map<std::string, std::multiset<std::string>> postings;  // kinds by appointment
            for (const json& p : bill["postings"]) {
              if (p.contains("appointment_id")) postings[p["appointment_id"]].insert(p["kind"]);
            }
            for (const json& id : acked) {
              EXPECT_EQ(state[id], "cancelled") << id;
              EXPECT_EQ(postings[id],
                        (std::multiset<std::string>{"registration_fee", "registration_refund"}))
                  << id;
            }
          }};
}

std::vector<Stream> CrashTest::Streams() {
  return {Organisations(), Registrations(), Verifications(), Taps(),    Passages(),
          Certificates(),  Fetches(),       HallCases(),     Bookings()};
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

json CrashTest::KillUntilItFinishes(const std::vector<std::string>& args, std::string_view step,
                                    int max_steps, int max_kills, std::mt19937_64& random,
                                    int& kills) {
  for (kills = 0; kills < max_kills; ++kills) {
    const int steps = std::uniform_int_distribution<int>(1, max_steps)(random);
    ChildProcess run(args);
    if (!run.WaitForOutput(step, steps)) break;  // it finished first
    run.Kill(SIGKILL);
  }
  const auto finished = testing::RunCitycode(args);
  EXPECT_EQ(finished.exit_code, 0) << testing::Describe(finished);
  const auto again = testing::RunCitycode(args);
  EXPECT_EQ(again.exit_code, 0) << testing::Describe(again);
  return json::parse(again.out, nullptr, false);
}

TEST_P(CrashTest, KillNineAtRandomPointsLosesNoAcknowledgedWriteAndLeavesNothingHalfDone) {
  SeededRandom seeded;
  std::mt19937_64& random = seeded.random;
  const std::uint64_t rounds = EnvOr("CITYCODE_CRASH_ROUNDS", 3);
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
    // The demo phone's holder signs in (their bookings are cancelled online).
    for (const json& citizen : demo_["citizens"]) {
      if (citizen["id"] != demo_["citizen_id"]) continue;
      const json session =
          Expect(*client, "POST", "/v1/sessions",
                 {{"phone", citizen["phone"]}, {"password", citizen["password"]}}, "", 201);
      citizen_session_ = session.value("token", "");
    }
    ASSERT_FALSE(citizen_session_.empty()) << demo_["citizens"];
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
  std::cout << "seed " << seeded.seed << ", " << rounds << " kills; acknowledged:" << counts
            << "\n";
}

// `citycode transit ingest` of a simulated day, killed with SIGKILL after a
// seeded random number of its steps (a run of taps stored, a rider bucket
// fared: 200 riders make about 30 runs of 40 and 100 buckets; each attempt
// goes through the runs again, as duplicates, then fares what is left),
// again and again until one finishes: every tap is then stored
// once, its code recorded once, every rider fared; the same file once more
// stores nothing; the ledger and the clearing hold as above.
TEST_P(CrashTest, KillNineDuringABulkIngestLosesNoTapAndFaresEachOnce) {
  SeededRandom seeded;
  std::mt19937_64& random = seeded.random;
  const std::string config = (dir_.path() / "citycode.toml").string();
  std::ofstream(config) << "[database]\nurl = \"" << url() << "\"\n[keys]\nkeyring = \""
                        << (dir_.path() / "keyring.json").string() << "\"\n[vault]\n"
                        << "checkpoint_file = \"" << checkpoints() << "\"\n[transit]\n"
                        << "feed_dir = \"" << CITYCODE_TRANSIT_DEMO_FEED << "\"\n";
  const std::string file = (dir_.path() / "taps.csv").string();
  // Two days ago (UTC): every scan of the day is in the past, and recent
  // enough to upload.
  const std::string day = FormatRfc3339(SystemClock().Now() - std::chrono::hours(48)).substr(0, 10);
  const auto simulated = testing::RunCitycode(
      {"transit", "simulate", "--config", config, "--riders", "200", "--day", day, "--out", file});
  ASSERT_EQ(simulated.exit_code, 0) << testing::Describe(simulated);
  const std::int64_t taps = json::parse(simulated.out)["taps"];
  const std::vector<std::string> ingest = {"transit", "ingest", file, "--config",
                                           config,    "--run",  "40", "--progress"};

  int kills = 0;
  const json counts = KillUntilItFinishes(ingest, "citycode: ingest: ", 60, 12, random, kills);
  ASSERT_TRUE(counts.is_object()) << counts;
  EXPECT_EQ(counts["stored"], 0) << counts;
  EXPECT_EQ(counts["duplicates"], taps) << counts;
  EXPECT_EQ(counts["refused"], 0) << counts;
  EXPECT_EQ(counts["riders_fared"], 0) << counts;

  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM transit_tap_ids"), taps);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM verifications WHERE scene = 'transit' AND valid = 1"),
            taps)
      << "a code recorded twice, or not at all";
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM transit_inbox"), 0) << "taps left unfared";
  CheckInvariants();
  std::cout << "seed " << seeded.seed << ", " << kills << " kills of " << taps << " taps' ingest\n";
}

// `citycode vault import` of the demo agency's certificates, killed with
// SIGKILL after a random number of its progress lines (one a tenth of the
// file, each after a committed batch), up to six times, then run to the
// end: every certificate is there once (the same file again: all
// unchanged) and the audit log verifies.
TEST_P(CrashTest, KillNineDuringAVaultImportLosesNoCertificateAndKeepsTheAuditWhole) {
  SeededRandom seeded;
  std::mt19937_64& random = seeded.random;
  ASSERT_NO_FATAL_FAILURE(StartServer());  // the demo city: its agency, a registered issuer
  server_->Kill(SIGTERM);
  const std::string file = (dir_.path() / "certificates.jsonl").string();
  constexpr int kCertificates = 400;
  const auto generated = testing::RunCitycode(
      {"vault", "generate", "--out", file, "--count", std::to_string(kCertificates), "--key",
       demo_["agency_key_file"], "--issuer-code", std::string(kAgencyCode), "--issuer-name",
       std::string(kAgencyName), "--first-serial", "800000000"});  // above the demo's
  ASSERT_EQ(generated.exit_code, 0) << testing::Describe(generated);
  const std::int64_t before = QueryInt("SELECT COUNT(*) FROM vault_certificates");
  const std::vector<std::string> import = {"vault",
                                           "import",
                                           file,
                                           "--db",
                                           url(),
                                           "--keyring",
                                           (dir_.path() / "keyring.json").string(),
                                           "--checkpoints",
                                           checkpoints(),
                                           "--batch",
                                           "10"};

  int kills = 0;
  const json counts = KillUntilItFinishes(import, "import: ", 10, 6, random, kills);
  ASSERT_TRUE(counts.is_object()) << counts;
  EXPECT_EQ(counts["imported"], 0) << counts;
  EXPECT_EQ(counts["unchanged"], kCertificates) << counts;
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM vault_certificates") - before, kCertificates);
  CheckInvariants();
  std::cout << "seed " << seeded.seed << ", " << kills << " kills of an import of " << kCertificates
            << " certificates\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode
