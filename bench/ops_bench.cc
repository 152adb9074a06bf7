// The operator's dashboard over a database holding EVENTS verification
// events (default 1 000 000) spread over the last SPAN_HOURS hours (default
// 24: every event in the dashboard's window, the worst case for it),
// through the HTTP API of an in-process server (scripts/bench-dashboard):
//   - BM_FirstQuery: the first query after the events arrived, which totals
//     every ended hour (once per hour in a running city);
//   - BM_Dashboard/24 and /168: GET /v1/ops/dashboard?hours=N afterwards.
// CITYCODE_BENCH_DB: a database URL (default a SQLite file in a temporary
// directory).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "api_client/http_client.h"
#include "crypto/random.h"
#include "server/service.h"
#include "tool_args.h"

namespace citycode {
namespace {

using bench::Check;

std::int64_t EnvInt(const char* name, std::int64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::atoll(value) : fallback;
}

// 300 terminals of three organisations; the events cycle through them, the
// five scenes and, one in ten refused, four reasons. (A recursive CTE: both
// backends have it.)
constexpr std::string_view kEvents = R"sql(
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
INSERT INTO verifications (id, at, terminal_id, org_id, scene, valid, reason, credential_id)
SELECT 'ver_' || i, ? - (i * ?) / ?, t.id, t.org_id,
       CASE i % 5 WHEN 0 THEN 'transit' WHEN 1 THEN 'gov' WHEN 2 THEN 'medical'
                  WHEN 3 THEN 'hotel' ELSE 'access' END,
       CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END,
       CASE WHEN i % 10 <> 0 THEN 'valid' WHEN i % 40 = 0 THEN 'replayed'
            WHEN i % 40 = 10 THEN 'credential_revoked' WHEN i % 40 = 20 THEN 'expired'
            ELSE 'bad_signature' END,
       NULL
  FROM n JOIN bench_terminals t ON t.n = i % 300
)sql";

struct City {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("citycode-ops-bench-" + crypto::RandomId("run").substr(4, 8));
  SystemClock clock;
  std::unique_ptr<server::Service> service;
  std::unique_ptr<api_client::HttpClient> client;
  std::string admin;

  City() {
    std::filesystem::create_directories(dir);
    server::ServiceConfig config;
    const char* url = std::getenv("CITYCODE_BENCH_DB");
    config.database_url = url ? url : "sqlite:" + (dir / "city.db").string();
    config.keyring_file = dir / "keyring.json";
    config.vault.checkpoint_file = dir / "audit-checkpoints.jsonl";
    config.http.listen = "127.0.0.1:0";
    config.api.rate_per_key = 1e9;
    config.api.burst_per_key = 1e9;
    service = Check(server::Service::Start(config, clock), "start the service");
    client =
        Check(api_client::HttpClient::Create("http://127.0.0.1:" + std::to_string(service->port())),
              "client");
    admin = Check(service->platform().access_keys().CreateAdminKey("bench"), "admin key").token;
    Seed();
  }
  ~City() {
    client.reset();
    service.reset();
    std::filesystem::remove_all(dir);
  }

  void Seed() {
    auto& p = service->platform();
    Check(store::RunInTransaction(service->database(), store::TransactionMode::kWrite,
                                  [](store::Transaction& tx) {
                                    return tx
                                        .Execute(
                                            "CREATE TABLE bench_terminals (n BIGINT "
                                            "PRIMARY KEY, id TEXT, org_id TEXT)")
                                        .status();
                                  }),
          "terminal table");
    int n = 0;
    for (auto kind : {platform::OrgKind::kTransitOperator, platform::OrgKind::kServiceHall,
                      platform::OrgKind::kHospital}) {
      auto org = Check(p.organisations().Create("机构" + std::to_string(n), kind), "org");
      auto site = Check(p.organisations().CreateSite(org.id, "站点"), "site");
      for (int i = 0; i < 100; ++i, ++n) {
        auto terminal =
            Check(p.access_keys().CreateTerminal(org.id, site.id, "终端" + std::to_string(n)),
                  "terminal");
        Check(store::RunInTransaction(service->database(), store::TransactionMode::kWrite,
                                      [&](store::Transaction& tx) {
                                        return tx
                                            .Execute(
                                                "INSERT INTO bench_terminals VALUES "
                                                "(?, ?, ?)",
                                                {store::Int(n), store::Text(terminal.first.id),
                                                 store::Text(org.id)})
                                            .status();
                                      }),
              "terminal row");
      }
    }
    const std::int64_t events = EnvInt("EVENTS", 1'000'000);
    const std::int64_t span = EnvInt("SPAN_HOURS", 24) * 3600;
    const bool postgres = service->database().backend() == store::Backend::kPostgres;
    Check(store::RunInTransaction(service->database(), store::TransactionMode::kWrite,
                                  [&](store::Transaction& tx) {
                                    return tx
                                        .Execute(kEvents,
                                                 {store::Int(events), store::Time(clock.Now()),
                                                  store::Int(span), store::Int(events)})
                                        .status();
                                  }),
          "events");
    if (postgres) {  // the statistics autovacuum would soon gather
      Check(store::RunInTransaction(service->database(), store::TransactionMode::kWrite,
                                    [](store::Transaction& tx) {
                                      return tx.Execute("ANALYZE verifications").status();
                                    }),
            "analyze");
    }
  }

  void Dashboard(int hours) {
    auto reply = client->Send("GET", "/v1/ops/dashboard?hours=" + std::to_string(hours), "",
                              {{"Authorization", "Bearer " + admin}});
    if (!reply.ok() || reply->status != 200) {
      std::fprintf(stderr, "dashboard: %s\n",
                   reply.ok() ? reply->body.c_str() : reply.status().ToString().c_str());
      std::exit(1);
    }
  }
};

City& TheCity() {
  static City city;
  return city;
}

void BM_FirstQuery(benchmark::State& state) {
  City& city = TheCity();
  for (auto _ : state) city.Dashboard(24);
}
BENCHMARK(BM_FirstQuery)
    ->Iterations(1)
    ->Repetitions(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Dashboard(benchmark::State& state) {
  City& city = TheCity();
  for (auto _ : state) city.Dashboard(static_cast<int>(state.range(0)));
}
BENCHMARK(BM_Dashboard)->Arg(24)->Arg(168)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace citycode
