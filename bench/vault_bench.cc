// The vault's fetch: consent check, decryption, issuer signature check,
// signed release and audit append, on SQLite (the embedded default), as a
// relying party with standing grants calls it. scripts/bench-vault runs it.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "api_client/simulator.h"
#include "platform/platform.h"
#include "vault/sample_certificates.h"
#include "vault/vault.h"

namespace citycode {
namespace {

constexpr int kCitizens = 2000;
constexpr std::string_view kAgencyCode = "11370282MB1234567X";

// One database for all runs, seeded once.
struct World {
  std::filesystem::path dir;
  std::unique_ptr<store::Database> db;
  SystemClock clock;
  std::unique_ptr<platform::Platform> platform;
  std::unique_ptr<vault::Vault> vault;
  platform::Principal relying_party;
  std::vector<std::string> grants;

  World() {
    dir = std::filesystem::temp_directory_path() /
          ("citycode-vault-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    db = Must(store::Database::Open("sqlite:" + (dir / "bench.db").string()));
    const auto keyring = platform::Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
    platform = Must(platform::Platform::Open(*db, clock, keyring,
                                             {.password_cost = crypto::PasswordCost::kMinimal}));
    vault = Must(vault::Vault::Open(*db, clock, *platform, keyring,
                                    {.checkpoint_file = dir / "checkpoints.jsonl"}));
    const auto agency =
        Must(platform->organisations().Create("发证机关", platform::OrgKind::kIssuingAgency)).id;
    Check(vault->RegisterIssuer(
        {.org_id = agency, .credit_code = std::string(kAgencyCode), .name = "发证机关"}, "bench"));
    const auto key = Must(crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519));
    Check(vault->AddIssuerKey(agency, key.public_key(), "bench").status());
    const auto bank =
        Must(platform->organisations().Create("银行", platform::OrgKind::kAccessSite));
    Check(vault->SetOrganisationTypes(bank.id, {"resident_id_card"}, {}, "bench"));
    const auto admin = Must(platform->access_keys().CreateOrgAdminKey(bank.id, "bench"));
    relying_party = Must(platform->access_keys().Authenticate(admin.token));
    std::set<std::string> used;
    for (int i = 0; i < kCitizens; ++i) {
      const std::string id_number = api_client::RandomResidentIdNumber();
      if (!used.insert(id_number).second) continue;  // one account per person
      auto citizen = platform->citizens().Register({.name = "压测市民",
                                                    .id_number = id_number,
                                                    .phone = std::to_string(13800000000LL + i),
                                                    .password = "bench password"});
      if (!citizen.ok()) continue;
      Check(platform->identities()
                .ConfirmInPerson(*citizen, {"压测市民", id_number}, "term_bench_window")
                .status());
      auto certificate = Must(
          vault::SampleCertificate(*vault::FindCertificateType("resident_id_card"),
                                   {.name = "压测市民", .id_number = id_number},
                                   {.name = "发证机关", .credit_code = std::string(kAgencyCode)},
                                   static_cast<std::uint64_t>(i + 1), "2021-01-01", "2041-01-01"));
      Check(vault->Issue(agency, Must(vault::SignCertificate(certificate, key))).status());
      grants.push_back(
          Must(vault->GrantStanding({.citizen_id = *citizen,
                                     .org_id = bank.id,
                                     .type_codes = {"resident_id_card"},
                                     .purpose = "开户核验",
                                     .expires_at = clock.Now() + std::chrono::days(300)}))
              .id);
    }
  }
  ~World() {
    vault.reset();
    platform.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  template <typename T>
  static T Must(Result<T> result) {
    if (!result.ok()) {
      std::fprintf(stderr, "vault_bench setup: %s\n", result.status().ToString().c_str());
      std::abort();
    }
    return std::move(*result);
  }
  static void Check(const Status& status) {
    if (!status.ok()) {
      std::fprintf(stderr, "vault_bench setup: %s\n", status.ToString().c_str());
      std::abort();
    }
  }
};

World& TheWorld() {
  static World world;
  return world;
}

void BM_Fetch(benchmark::State& state) {
  World& world = TheWorld();
  static std::atomic<std::size_t> next{0};
  for (auto _ : state) {
    const std::string& grant = world.grants[next.fetch_add(1) % world.grants.size()];
    auto release =
        world.vault->Fetch(world.relying_party, {.grant_id = grant, .use_cause = "开户核验"});
    if (!release.ok() || release->certificates.size() != 1) {
      state.SkipWithError("fetch failed");
      break;
    }
    benchmark::DoNotOptimize(release->signature.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Fetch)->Threads(1)->Threads(2)->UseRealTime()->MinTime(3.0);

}  // namespace
}  // namespace citycode
