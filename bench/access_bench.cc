// The access scene with a 100 000-member list (scripts/bench-access):
//   - at the gate, offline: the decision (code verify + list lookup) against
//     the bare offline verify, interleaved; loading and checking the signed
//     list; applying a delta of 1 000 changes;
//   - on the server (SQLite): signing the list; making a new version after
//     1 000 changes; the first version (all 200 000 entries, once);
//   - bookings per second.
// Each member has one phone: the list holds its live credential and the one
// announced next, 200 000 entries.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api_client/simulator.h"
#include "code/access_gate.h"
#include "code/allow_list.h"
#include "code/presentation.h"
#include "crypto/random.h"
#include "platform/platform.h"
#include "scenes/access/access.h"
#include "tool_args.h"

namespace citycode {
namespace {

using bench::Check;
using std::chrono::hours;

constexpr int kMembers = 100'000;
constexpr int kChanges = 1000;  // a delta: 500 entries removed, 500 added
const Instant kNow = FromUnixSeconds(1'790'000'000);

// The gate's side, in memory: lists, a verifier and one member's code.
struct Gate {
  ManualClock clock{kNow};
  crypto::PrivateKey root =
      Check(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519), "root");
  crypto::PrivateKey signer =
      Check(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519), "signer");
  crypto::PrivateKey device =
      Check(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519), "device");
  std::unique_ptr<code::Verifier> verifier;
  code::AllowList list;
  std::string list_jws;
  std::string delta_jws;
  std::string qr;

  Gate() {
    code::TrustList trust{
        .version = 1,
        .issuer = "citycode:jimo",
        .issued_at = kNow - hours(1),
        .expires_at = kNow + hours(24),
        .keys = {{signer.public_key(), kNow - hours(24), kNow + hours(24 * 365)}}};
    code::RevocationList revoked{
        .version = 1, .issued_at = kNow - hours(1), .expires_at = kNow + hours(24)};
    // The same work on both sides: the replay record is the gate's journal's
    // job, not what this compares.
    verifier = std::make_unique<code::Verifier>(clock, trust, revoked,
                                                code::VerifierOptions{.detect_replay = false});
    const code::CredentialId cti = crypto::RandomArray<16>();
    const Bytes credential = Check(code::IssueCredential({.issuer = "citycode:jimo",
                                                          .subject = crypto::RandomArray<16>(),
                                                          .issued_at = kNow - hours(1),
                                                          .expires_at = kNow + hours(23),
                                                          .id = cti,
                                                          .device_key = device.public_key(),
                                                          .scenes = {code::Scene::kAccess},
                                                          .channel = code::Channel::kApp},
                                                         signer),
                                   "credential");
    qr = code::ToQrText(Check(
        code::MakePresentation({.credential = credential, .made_at = kNow, .counter = 1}, device),
        "presentation"));
    list = {.site = "site_bench",
            .version = 1,
            .issued_at = kNow - hours(1),
            .expires_at = kNow + hours(1)};
    list.entries.push_back(
        {code::AllowHashFor(cti), FromUnixSeconds(946'684'800), FromUnixSeconds(4'102'444'800)});
    while (list.entries.size() < 2 * kMembers) {
      list.entries.push_back({code::AllowHashFor(crypto::RandomArray<16>()),
                              FromUnixSeconds(946'684'800), FromUnixSeconds(4'102'444'800)});
    }
    std::sort(list.entries.begin(), list.entries.end());
    list_jws = Check(code::SignAllowList(list, root), "sign list");
    code::AllowListDelta delta{.site = list.site,
                               .base_version = 1,
                               .version = 2,
                               .issued_at = kNow,
                               .expires_at = kNow + hours(1)};
    for (int i = 0; i < kChanges / 2; ++i) {
      const code::AllowEntry& gone = list.entries[static_cast<std::size_t>(i) * 300 + 1];
      if (gone.hash != code::AllowHashFor(cti)) delta.removed.push_back(gone);
      delta.added.push_back({code::AllowHashFor(crypto::RandomArray<16>()),
                             FromUnixSeconds(946'684'800), FromUnixSeconds(4'102'444'800)});
    }
    std::sort(delta.removed.begin(), delta.removed.end());
    std::sort(delta.added.begin(), delta.added.end());
    delta_jws = Check(code::SignAllowListDelta(delta, root), "sign delta");
  }
};

Gate& TheGate() {
  static Gate gate;
  return gate;
}

void BM_BareVerify(benchmark::State& state) {
  Gate& g = TheGate();
  for (auto _ : state) {
    const code::VerificationResult result = g.verifier->Verify(g.qr, code::Scene::kAccess);
    if (!result.valid) state.SkipWithError("the code does not verify");
    benchmark::DoNotOptimize(result.credential_id);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_GateDecide(benchmark::State& state) {
  Gate& g = TheGate();
  code::AccessGate gate(*g.verifier, g.clock, g.root.public_key(), g.list.site);
  Check(gate.Load(g.list_jws), "load");
  for (auto _ : state) {
    const code::GateDecision decision = gate.Decide(g.qr);
    if (!decision.admitted) state.SkipWithError("the member is refused");
    benchmark::DoNotOptimize(decision.code.credential_id);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_GateLoadList(benchmark::State& state) {
  Gate& g = TheGate();
  code::AccessGate gate(*g.verifier, g.clock, g.root.public_key(), g.list.site);
  for (auto _ : state) Check(gate.Load(g.list_jws), "load");
  state.counters["list_bytes"] = static_cast<double>(g.list_jws.size());
  state.counters["entries"] = static_cast<double>(g.list.entries.size());
}

void BM_GateApplyDelta(benchmark::State& state) {
  Gate& g = TheGate();
  for (auto _ : state) {
    const code::AllowListDelta delta =
        Check(code::VerifyAllowListDelta(g.delta_jws, g.root.public_key()), "delta");
    benchmark::DoNotOptimize(Check(code::ApplyDelta(g.list, delta), "apply").entries.data());
  }
  state.counters["delta_bytes"] = static_cast<double>(g.delta_jws.size());
}

void BM_ServerSignList(benchmark::State& state) {
  Gate& g = TheGate();
  for (auto _ : state) benchmark::DoNotOptimize(Check(code::SignAllowList(g.list, g.root), "sign"));
}

BENCHMARK(BM_BareVerify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GateDecide)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GateLoadList)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GateApplyDelta)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ServerSignList)->Unit(benchmark::kMillisecond);

// --- the server, on SQLite ---

// A staff site of kMembers members, each with one phone, seeded in SQL (the
// rows the platform would have written; registering 100 000 people through
// the API would take most of the run), and a reservation site with slots.
struct Server {
  std::filesystem::path dir;
  std::unique_ptr<store::Database> db;
  SystemClock clock;
  std::unique_ptr<platform::Platform> platform;
  std::unique_ptr<access::AccessScene> scene;
  std::string org_id, site_id;
  platform::Principal gate;
  std::vector<std::string> member_ids;
  std::vector<std::string> citizens;       // verified, for bookings
  std::vector<std::string> booking_slots;  // one per day

  Server() {
    dir = std::filesystem::temp_directory_path() /
          ("citycode-access-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    db = Check(store::Database::Open("sqlite:" + (dir / "bench.db").string()), "db");
    const auto keyring = platform::Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
    platform = Check(platform::Platform::Open(*db, clock, keyring,
                                              {.password_cost = crypto::PasswordCost::kMinimal}),
                     "platform");
    scene = Check(access::AccessScene::Open(*db, clock, *platform, keyring, CityTime{},
                                            {.max_bookings_per_day = 20, .booking_days_ahead = 60}),
                  "scene");
    org_id =
        Check(platform->organisations().Create("即墨区人民法院", platform::OrgKind::kAccessSite),
              "org")
            .id;
    site_id = Check(platform->organisations().CreateSite(org_id, "南门"), "site").id;
    const auto terminal =
        Check(platform->access_keys().CreateTerminal(org_id, site_id, "闸机1"), "gate");
    gate = Check(platform->access_keys().Authenticate(terminal.second.token), "auth");
    Check(scene->ConfigureSite(org_id, site_id, {.policy = access::Policy::kStaff}).status(),
          "site");
    SeedMembers();
    SeedBookings();
  }
  ~Server() {
    scene.reset();
    platform.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  void SeedMembers() {
    auto tx = Check(db->Begin(store::TransactionMode::kWrite), "begin");
    const std::string key_id =
        Check(tx->QueryOne("SELECT id FROM platform_keys WHERE purpose = 'signing'"), "key")
            .Text(0);
    const std::int64_t now = ToUnixSeconds(clock.Now());
    for (int i = 0; i < kMembers; ++i) {
      const std::string citizen = "cit_bench_" + std::to_string(i);
      const std::string device = "dev_bench_" + std::to_string(i);
      const std::string member = "mem_bench_" + std::to_string(i);
      const Bytes filler(16, 0);
      Check(
          tx->Execute("INSERT INTO citizens (id, phone_index, id_number_index, sealed_name, "
                      "sealed_id_number, sealed_phone, password_hash, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, 'x', ?, ?)",
                      {store::Text(citizen), store::Blob(crypto::RandomArray<16>()),
                       store::Blob(crypto::RandomArray<16>()), store::Blob(filler),
                       store::Blob(filler), store::Blob(filler), store::Int(now), store::Int(now)})
              .status(),
          "citizen");
      Check(tx->Execute("INSERT INTO devices (id, citizen_id, public_key, label, channel, state, "
                        "created_at, next_credential_id) VALUES (?, ?, ?, 'phone', 'app', "
                        "'active', ?, ?)",
                        {store::Text(device), store::Text(citizen),
                         store::Blob(crypto::RandomArray<32>()), store::Int(now),
                         store::Blob(crypto::RandomArray<16>())})
                .status(),
            "device");
      Check(tx->Execute(
                  "INSERT INTO credentials (id, subject, device_id, citizen_id, "
                  "signing_key_id, scenes, channel, rider_category, issued_at, expires_at) "
                  "VALUES (?, ?, ?, ?, ?, 'access', 'app', 'adult', ?, ?)",
                  {store::Blob(crypto::RandomArray<16>()), store::Blob(crypto::RandomArray<16>()),
                   store::Text(device), store::Text(citizen), store::Text(key_id), store::Int(now),
                   store::Int(now + 86'400)})
                .status(),
            "credential");
      Check(tx->Execute("INSERT INTO access_members (id, site_id, citizen_id, household, "
                        "sealed_name, added_at) VALUES (?, ?, ?, '', ?, ?)",
                        {store::Text(member), store::Text(site_id), store::Text(citizen),
                         store::Blob(filler), store::Int(now)})
                .status(),
            "member");
      member_ids.push_back(member);
    }
    Check(tx->Commit(), "commit");
  }

  void SeedBookings() {
    const auto park = Check(
        platform->organisations().Create("鹤山风景区", platform::OrgKind::kAccessSite), "park");
    const auto park_site =
        Check(platform->organisations().CreateSite(park.id, "东门"), "park site");
    Check(scene->ConfigureSite(park.id, park_site.id, {.policy = access::Policy::kReservations})
              .status(),
          "park policy");
    const CityTime time;
    for (int day = 1; day <= 40; ++day) {
      for (int hour = 8; hour < 18; ++hour) {
        const Instant starts =
            time.StartOf(time.LocalDay(clock.Now()) + std::chrono::days(day)) + hours(hour);
        booking_slots.push_back(
            Check(scene->AddSlot(
                      park.id, park_site.id,
                      {.starts_at = starts, .ends_at = starts + hours(1), .capacity = 100'000}),
                  "slot")
                .id);
      }
    }
    std::set<std::string> used;
    for (int i = 0; i < 500; ++i) {
      const std::string id_number = api_client::RandomResidentIdNumber();
      if (!used.insert(id_number).second) continue;  // one account per person
      const std::string citizen =
          Check(platform->citizens().Register({.name = "压测市民",
                                               .id_number = id_number,
                                               .phone = std::to_string(13800000000LL + i),
                                               .password = "bench password"}),
                "register");
      Check(platform->identities()
                .ConfirmInPerson(citizen, {"压测市民", id_number}, "term_bench")
                .status(),
            "verify");
      citizens.push_back(citizen);
    }
  }
};

Server& TheServer() {
  static Server server;
  return server;
}

// The first version: every entry inserted and the whole list signed.
void BM_ServerFirstList(benchmark::State& state) {
  Server& s = TheServer();
  for (auto _ : state) {
    const auto list = Check(s.scene->AllowList(s.gate, s.site_id), "first list");
    state.counters["list_bytes"] = static_cast<double>(list.jws.size());
  }
}

// A new version after 500 members left (1 000 entries): the gate's next
// download makes it.
void BM_ServerListAfterChanges(benchmark::State& state) {
  Server& s = TheServer();
  static std::size_t next = 0;
  Check(s.scene->AllowList(s.gate, s.site_id).status(), "first list");
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < kChanges / 2 && next < s.member_ids.size(); ++i) {
      Check(s.scene->RemoveMember(s.org_id, s.site_id, s.member_ids[next++]), "remove");
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(Check(s.scene->AllowList(s.gate, s.site_id), "list").version);
  }
}

void BM_Book(benchmark::State& state) {
  Server& s = TheServer();
  static std::atomic<std::size_t> next{0};
  for (auto _ : state) {
    const std::size_t n = next.fetch_add(1);
    const std::string& citizen = s.citizens[n % s.citizens.size()];
    const std::string& slot = s.booking_slots[(n / s.citizens.size()) % s.booking_slots.size()];
    auto booked = s.scene->Book(citizen, slot);
    if (!booked.ok()) {
      state.SkipWithError(booked.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ServerFirstList)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ServerListAfterChanges)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Book)->Threads(1)->Threads(2)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace citycode
