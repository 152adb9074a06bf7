// The fare engine alone, on one core: a simulated day of the demo city,
// grouped by rider as the server fares it, through FareTaps. The storage
// side (ingest, faring with the ledger, clearing) is timed by
// `citycode transit ingest` and `clear` in scripts/bench-transit.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <vector>

#include "scenes/transit/fare_engine.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/simulate.h"

namespace citycode::transit {
namespace {

constexpr std::int64_t kRiders = 200'000;

template <typename T>
T Must(Result<T> result) {
  if (!result.ok()) {
    std::fprintf(stderr, "transit_bench: %s\n", result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

struct Day {
  Feed feed;
  FareExtensions extensions;
  std::vector<std::vector<Tap>> riders;  // each rider's taps, in upload order
  std::int64_t taps = 0;

  Day() {
    feed = Must(LoadFeed(CITYCODE_DEMO_FEED_DIR));
    extensions = Must(LoadFareExtensions(CITYCODE_DEMO_FEED_DIR, feed));
    std::map<std::string, std::vector<Tap>> by_rider;
    Must(SimulateDay(feed, {.riders = kRiders, .day = Date{2026, 8, 15}}, [&](const TapUpload& u) {
      by_rider[u.rider_id].push_back(u.tap);
      ++taps;
      return OkStatus();
    }));
    riders.reserve(by_rider.size());
    for (auto& [id, rider_taps] : by_rider) riders.push_back(std::move(rider_taps));
  }
};

const Day& TheDay() {
  static const Day day;
  return day;
}

void BM_FareTaps(benchmark::State& state) {
  const Day& day = TheDay();
  std::int64_t charges = 0;
  FareRanges ranges;  // shared by the riders, as Rides shares it
  for (auto _ : state) {
    for (const std::vector<Tap>& taps : day.riders) {
      charges +=
          static_cast<std::int64_t>(FareTaps(day.feed, day.extensions, taps, {}, &ranges).size());
    }
  }
  benchmark::DoNotOptimize(charges);
  state.SetItemsProcessed(state.iterations() * day.taps);
  state.counters["taps"] = static_cast<double>(day.taps);
  state.counters["riders"] = static_cast<double>(day.riders.size());
}
BENCHMARK(BM_FareTaps)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace citycode::transit
