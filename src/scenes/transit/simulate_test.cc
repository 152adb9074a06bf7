#include "scenes/transit/simulate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/test_support.h"
#include "tests/support/status_matchers.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;

constexpr Date kSummerDay{2026, 8, 15};  // inside the demo feed's summer night window

class SimulateTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(LoadDemoFeed(feed_, ext_)); }

  std::vector<TapUpload> Simulate(std::int64_t riders, std::uint64_t seed,
                                  SimulationSummary* summary = nullptr) {
    std::vector<TapUpload> taps;
    const SimulationOptions options{.riders = riders, .day = kSummerDay, .seed = seed};
    auto result = SimulateDay(feed_, options, [&](const TapUpload& u) {
      taps.push_back(u);
      return OkStatus();
    });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (summary != nullptr && result.ok()) *summary = *result;
    return taps;
  }

  // The stops each route's trips serve.
  std::map<std::string, std::set<std::string>> RouteStops() const {
    std::map<std::string, std::set<std::string>> stops;
    for (const auto& [trip_id, trip] : feed_.trips) {
      for (const StopTime& st : feed_.stop_times.at(trip_id))
        stops[trip.route_id].insert(st.stop_id);
    }
    return stops;
  }

  Feed feed_;
  FareExtensions ext_;
};

// The fields of a tap, to compare runs.
std::string Describe(const TapUpload& u) {
  return u.tap.terminal_id + "|" + std::to_string(u.tap.sequence) + "|" + FormatRfc3339(u.tap.at) +
         "|" + u.tap.route_id + "|" + u.tap.stop_id + "|" +
         std::to_string(static_cast<int>(u.tap.kind)) + "|" +
         std::string(code::ChannelName(u.tap.channel)) + "|" + u.tap.rider_category_id + "|" +
         u.rider_id;
}

std::vector<std::string> Describe(const std::vector<TapUpload>& taps) {
  std::vector<std::string> out;
  for (const TapUpload& t : taps) out.push_back(Describe(t));
  return out;
}

TEST_F(SimulateTest, TheSameSeedGivesTheSameDay) {
  const auto a = Describe(Simulate(300, 7));
  EXPECT_EQ(a, Describe(Simulate(300, 7)));
  EXPECT_NE(a, Describe(Simulate(300, 8)));
}

TEST_F(SimulateTest, TapsNameTheFeedsRoutesAndStopsOfTheDay) {
  SimulationSummary summary;
  const auto taps = Simulate(2000, 1, &summary);
  const auto route_stops = RouteStops();
  std::set<std::string> riders, terminals;
  const Instant day_begin = *ParseRfc3339("2026-08-14T20:00:00Z");  // 04:00 local
  const Instant day_end = day_begin + std::chrono::hours(24);
  for (const TapUpload& u : taps) {
    const Tap& t = u.tap;
    ASSERT_TRUE(feed_.routes.contains(t.route_id)) << Describe(u);
    ASSERT_TRUE(feed_.stops.contains(t.stop_id)) << Describe(u);
    EXPECT_TRUE(route_stops.at(t.route_id).contains(t.stop_id)) << Describe(u);
    const bool metro = feed_.routes.at(t.route_id).route_type == 1;
    if (metro) {
      EXPECT_NE(t.kind, Tap::Kind::kBoard) << Describe(u);
      EXPECT_TRUE(t.terminal_id.starts_with(t.stop_id + "-g")) << Describe(u);
    } else {
      EXPECT_EQ(t.kind, Tap::Kind::kBoard) << Describe(u);
      EXPECT_TRUE(t.terminal_id.starts_with(t.route_id + "-v")) << Describe(u);
      EXPECT_EQ(t.terminal_id.size(), t.route_id.size() + 4) << Describe(u);
    }
    EXPECT_GE(t.at, day_begin) << Describe(u);
    EXPECT_LT(t.at, day_end) << Describe(u);
    EXPECT_TRUE(u.valid);
    EXPECT_TRUE(u.rider_id.starts_with("sim-rider-")) << Describe(u);
    EXPECT_TRUE(t.rider_category_id.empty() || feed_.rider_categories.contains(t.rider_category_id))
        << Describe(u);
    riders.insert(u.rider_id);
    terminals.insert(t.terminal_id);
  }
  EXPECT_EQ(summary.taps, static_cast<std::int64_t>(taps.size()));
  EXPECT_EQ(summary.riders, 2000);
  EXPECT_EQ(riders.size(), 2000u);
  EXPECT_EQ(summary.terminals, static_cast<std::int64_t>(terminals.size()));
  EXPECT_TRUE(riders.contains("sim-rider-00000001"));
  EXPECT_TRUE(riders.contains("sim-rider-00002000"));
}

TEST_F(SimulateTest, EachTerminalUploadsItsTapsInSequence) {
  const auto taps = Simulate(2000, 3);
  std::set<std::string> done;
  for (std::size_t i = 0; i < taps.size(); ++i) {
    const Tap& t = taps[i].tap;
    if (i == 0 || t.terminal_id != taps[i - 1].tap.terminal_id) {
      // Grouped: a terminal's taps come in one run, starting at 1.
      EXPECT_TRUE(done.insert(t.terminal_id).second) << t.terminal_id;
      EXPECT_EQ(t.sequence, 1) << t.terminal_id;
    } else {
      EXPECT_EQ(t.sequence, taps[i - 1].tap.sequence + 1) << t.terminal_id;
      EXPECT_GE(t.at, taps[i - 1].tap.at) << t.terminal_id;
    }
  }
  // Several gates at a station, several buses on a route.
  EXPECT_TRUE(done.contains("M01-g1") && done.contains("M01-g2"));
  EXPECT_TRUE(done.contains("bus_1-v01") && done.contains("bus_1-v02"));
}

TEST_F(SimulateTest, RidersLiveLikeADayInTheCity) {
  const std::int64_t kRiders = 5000;
  const auto taps = Simulate(kRiders, 11);
  std::map<std::string, std::vector<const Tap*>> by_rider;
  std::map<std::string, std::pair<std::string, code::Channel>> profile;
  for (const TapUpload& u : taps) {
    by_rider[u.rider_id].push_back(&u.tap);
    const auto [it, added] =
        profile.emplace(u.rider_id, std::pair(u.tap.rider_category_id, u.tap.channel));
    // A rider's category and channel are the same all day.
    EXPECT_EQ(it->second, std::pair(u.tap.rider_category_id, u.tap.channel)) << u.rider_id;
  }
  std::map<std::string, int> categories;
  int app = 0;
  for (const auto& [rider, p] : profile) {
    ++categories[p.first];
    app += p.second == code::Channel::kApp ? 1 : 0;
  }
  auto share = [&](int n) { return static_cast<double>(n) / kRiders; };
  EXPECT_NEAR(share(categories[""]), 0.80, 0.04);
  EXPECT_NEAR(share(categories["senior"]), 0.12, 0.03);
  EXPECT_NEAR(share(categories["student"]), 0.06, 0.02);
  EXPECT_NEAR(share(categories["disabled"]), 0.02, 0.012);
  EXPECT_NEAR(share(app), 0.85, 0.03);

  // Entries are mostly followed by an exit (the rider's next gate tap).
  int entries = 0, exited = 0;
  // Local hours of the taps: the peaks are the commute.
  std::map<int, int> by_hour;
  int night = 0;
  for (auto& [rider, rider_taps] : by_rider) {
    std::sort(rider_taps.begin(), rider_taps.end(),
              [](const Tap* a, const Tap* b) { return a->at < b->at; });
    for (std::size_t i = 0; i < rider_taps.size(); ++i) {
      const Tap& t = *rider_taps[i];
      const int hour = ToLocal(t.at, CityTime{}).seconds / 3600;
      ++by_hour[hour];
      night += hour >= 21 || hour < 4 ? 1 : 0;
      if (t.kind != Tap::Kind::kEntry) continue;
      ++entries;
      if (i + 1 < rider_taps.size() && rider_taps[i + 1]->kind == Tap::Kind::kExit) ++exited;
    }
  }
  ASSERT_GT(entries, 1000);
  EXPECT_GT(static_cast<double>(exited) / entries, 0.95);
  EXPECT_LT(exited, entries);  // some forget
  EXPECT_GT(by_hour[7] + by_hour[8], 3 * (by_hour[11] + by_hour[12]));
  EXPECT_GT(by_hour[17] + by_hour[18], 3 * (by_hour[11] + by_hour[12]));
  EXPECT_GT(share(night), 0.03);
  EXPECT_GT(by_hour[1] + by_hour[2], 0);

  // About 4 taps a rider.
  EXPECT_NEAR(static_cast<double>(taps.size()) / kRiders, 4.0, 0.6);
}

TEST_F(SimulateTest, TapsScaleWithRiders) {
  const double small = static_cast<double>(Simulate(1000, 5).size());
  const double large = static_cast<double>(Simulate(4000, 5).size());
  EXPECT_NEAR(large / small, 4.0, 0.4);
}

TEST_F(SimulateTest, EveryRidersDayFaresWithoutProblems) {
  const auto taps = Simulate(1500, 2);
  std::map<std::string, std::vector<Tap>> by_rider;
  for (const TapUpload& u : taps) by_rider[u.rider_id].push_back(u.tap);
  std::set<TripKind> kinds;
  for (const auto& [rider, rider_taps] : by_rider) {
    for (const Charge& c : FareTaps(feed_, ext_, rider_taps)) {
      EXPECT_EQ(c.problem, "") << rider << " " << c.trip_id;
      EXPECT_EQ(c.operating_day, kSummerDay) << rider << " " << c.trip_id;
      kinds.insert(c.kind);
    }
  }
  EXPECT_TRUE(kinds.contains(TripKind::kBoard));
  EXPECT_TRUE(kinds.contains(TripKind::kComplete));
  EXPECT_TRUE(kinds.contains(TripKind::kNoExit));
}

TEST_F(SimulateTest, RefusesBadOptionsAndStopsWhenTheSinkFails) {
  auto none = [](const TapUpload&) { return OkStatus(); };
  EXPECT_THAT(SimulateDay(feed_, {.riders = 0, .day = kSummerDay}, none),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(
      SimulateDay(feed_, {.riders = kMaxSimulatedRiders + 1, .day = kSummerDay}, none).status(),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  // The demo calendar ends with 2027.
  EXPECT_THAT(SimulateDay(feed_, {.riders = 10, .day = Date{2030, 1, 1}}, none),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));

  int calls = 0;
  auto result = SimulateDay(feed_, {.riders = 100, .day = kSummerDay}, [&](const TapUpload&) {
    return ++calls == 10 ? Internal("disk full") : OkStatus();
  });
  EXPECT_EQ(result.status(), Internal("disk full"));
  EXPECT_EQ(calls, 10);
}

TEST(SimulatedRiderIdTest, IsZeroPadded) {
  EXPECT_EQ(SimulatedRiderId(1), "sim-rider-00000001");
  EXPECT_EQ(SimulatedRiderId(10000000), "sim-rider-10000000");
  EXPECT_EQ(SimulatedRiderId(123456789), "sim-rider-123456789");
}

}  // namespace
}  // namespace citycode::transit
