#include "scenes/transit/fare_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>

#include "scenes/transit/test_support.h"
#include "tests/support/temp_dir.h"

namespace citycode::transit {
namespace {

using code::Channel;

class FareEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(LoadDemoFeed(feed_, ext_)); }

  Tap Bus(const char* route, const char* stop, const char* utc, Channel ch = Channel::kApp,
          const char* category = "") {
    return Tap{std::string("bus-") + route, ++seq_, Utc(utc), route, stop,
               Tap::Kind::kBoard,           ch,     category};
  }
  Tap Gate(Tap::Kind kind, const char* stop, const char* utc, Channel ch = Channel::kApp,
           const char* category = "") {
    return Tap{std::string("gate-") + stop, ++seq_, Utc(utc), "metro_11", stop, kind, ch, category};
  }
  // Two bus rides and a metro ride (M01→M06, the 500 fen fare) on the night
  // that starts on local date `date` ("2026-08-15"), 21:30-23:20 local.
  std::vector<Tap> Night(const std::string& date, Channel ch) {
    auto at = [&](const char* hms) { return date + "T" + hms + "Z"; };
    return {Bus("bus_1", "B101", at("13:30:00").c_str(), ch),
            Bus("bus_2", "B202", at("14:15:00").c_str(), ch),
            Gate(Tap::Kind::kEntry, "M01", at("15:00:00").c_str(), ch),
            Gate(Tap::Kind::kExit, "M06", at("15:20:00").c_str(), ch)};
  }
  static std::int64_t Total(const std::vector<Charge>& charges) {
    std::int64_t sum = 0;
    for (const Charge& c : charges) sum += c.amount;
    return sum;
  }

  Feed feed_;
  FareExtensions ext_;
  std::int64_t seq_ = 0;
};

TEST(FareWindowTest, OperatingNight) {
  FareWindow w{"w", {2026, 7, 1}, {2026, 9, 30}, 21 * 3600, 4 * 3600, {}, {}, 100, 0};
  auto local = [](Date d, int h, int m) { return LocalTimeOfDay{d, h * 3600 + m * 60}; };
  EXPECT_EQ(WindowNight(w, local({2026, 8, 16}, 2, 0)), (Date{2026, 8, 15}));
  EXPECT_EQ(WindowNight(w, local({2026, 8, 16}, 3, 59)), (Date{2026, 8, 15}));
  EXPECT_EQ(WindowNight(w, local({2026, 8, 16}, 4, 0)), std::nullopt);
  EXPECT_EQ(WindowNight(w, local({2026, 8, 15}, 21, 0)), (Date{2026, 8, 15}));
  EXPECT_EQ(WindowNight(w, local({2026, 8, 15}, 20, 59)), std::nullopt);
  // The night of 30 Sep runs into 1 Oct; the night of 30 June is not in.
  EXPECT_EQ(WindowNight(w, local({2026, 10, 1}, 1, 0)), (Date{2026, 9, 30}));
  EXPECT_EQ(WindowNight(w, local({2026, 10, 1}, 22, 0)), std::nullopt);
  EXPECT_EQ(WindowNight(w, local({2026, 7, 1}, 1, 0)), std::nullopt);
  FareWindow day{"d", {2026, 7, 1}, {2026, 7, 1}, 8 * 3600, 9 * 3600, {}, {}, 0, 0};
  EXPECT_EQ(WindowNight(day, local({2026, 7, 1}, 8, 30)), (Date{2026, 7, 1}));
  EXPECT_EQ(WindowNight(day, local({2026, 7, 1}, 9, 0)), std::nullopt);

  EXPECT_EQ(ToLocal(Utc("2026-08-15T18:00:00Z"), CityTime{}).date, (Date{2026, 8, 16}));
  EXPECT_EQ(ToLocal(Utc("2026-08-15T18:00:00Z"), CityTime{}).seconds, 2 * 3600);
}

TEST_F(FareEngineTest, SummerNightInTheAppCosts100Fen) {
  auto charges = FareTaps(feed_, ext_, Night("2026-08-15", Channel::kApp));
  ASSERT_EQ(charges.size(), 3u);
  EXPECT_EQ(Total(charges), 100);
  EXPECT_EQ(charges[0].base_amount, 200);
  EXPECT_EQ(charges[0].amount, 100);
  EXPECT_EQ(charges[0].agency_id, "jimo_bus");
  EXPECT_EQ(charges[0].fare_product_id, "bus_flat");
  EXPECT_EQ(charges[0].leg_rule_line, 2);
  EXPECT_EQ(charges[1].amount, 0);
  EXPECT_EQ(charges[2].kind, TripKind::kComplete);
  EXPECT_EQ(charges[2].base_amount, 500);
  EXPECT_EQ(charges[2].amount, 0);
  EXPECT_EQ(charges[2].agency_id, "qd_metro");
  EXPECT_EQ(charges[2].fare_product_id, "metro_5");
  EXPECT_EQ(charges[2].trip_id, "gate-M01:3");
  for (const Charge& c : charges) {
    EXPECT_EQ(c.window_id, "summer_night_2026");
    EXPECT_EQ(c.window_night, (Date{2026, 8, 15}));
    EXPECT_EQ(c.currency, "CNY");
    EXPECT_TRUE(c.problem.empty()) << c.problem;
  }
}

TEST_F(FareEngineTest, PartnerChannelOrOctoberPaysNormalFares) {
  for (auto charges : {FareTaps(feed_, ext_, Night("2026-08-15", Channel::kWechat)),
                       FareTaps(feed_, ext_, Night("2026-10-01", Channel::kApp))}) {
    ASSERT_EQ(charges.size(), 3u);
    EXPECT_EQ(Total(charges), 900);
    for (const Charge& c : charges) EXPECT_EQ(c.window_id, "");
  }
}

TEST_F(FareEngineTest, WindowEndsAt0400) {
  // 21:30 on 15 Aug opens the night; 03:59 on 16 Aug is still in it (cap
  // already reached: 0), 04:01 is not (a normal 200).
  auto charges = FareTaps(
      feed_, ext_,
      {Bus("bus_1", "B101", "2026-08-15T13:30:00Z"), Bus("bus_1", "B102", "2026-08-15T19:59:00Z"),
       Bus("bus_1", "B103", "2026-08-15T20:01:00Z")});
  ASSERT_EQ(charges.size(), 3u);
  EXPECT_EQ(charges[1].window_id, "summer_night_2026");
  EXPECT_EQ(charges[1].window_night, (Date{2026, 8, 15}));
  EXPECT_EQ(charges[1].amount, 0);
  EXPECT_EQ(charges[2].window_id, "");
  EXPECT_EQ(charges[2].amount, 200);
  EXPECT_EQ(Total(charges), 300);
}

TEST_F(FareEngineTest, OrderDoesNotMatter) {
  std::vector<Tap> taps = Night("2026-08-15", Channel::kApp);
  for (const Tap& t : Night("2026-08-16", Channel::kApp)) taps.push_back(t);
  taps.push_back(Bus("bus_2", "B201", "2026-08-16T02:00:00Z"));  // 10:00 local
  const auto expected = FareTaps(feed_, ext_, taps);
  EXPECT_EQ(Total(expected), 100 + 100 + 200);

  std::vector<Tap> reversed(taps.rbegin(), taps.rend());
  EXPECT_EQ(FareTaps(feed_, ext_, reversed), expected);
  std::mt19937 rng(42);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(taps.begin(), taps.end(), rng);
    EXPECT_EQ(FareTaps(feed_, ext_, taps), expected);
  }
  // A batch uploaded twice: the same taps again count once.
  std::vector<Tap> twice = taps;
  twice.insert(twice.end(), reversed.begin(), reversed.end());
  EXPECT_EQ(FareTaps(feed_, ext_, twice), expected);
}

TEST_F(FareEngineTest, SeniorGetsTheSeniorProduct) {
  auto charges =
      FareTaps(feed_, ext_,
               {Bus("bus_1", "B101", "2026-03-02T01:00:00Z", Channel::kCard, "senior"),
                Gate(Tap::Kind::kEntry, "M01", "2026-03-02T02:00:00Z", Channel::kCard, "senior"),
                Gate(Tap::Kind::kExit, "M03", "2026-03-02T02:10:00Z", Channel::kCard, "senior")});
  ASSERT_EQ(charges.size(), 2u);
  EXPECT_EQ(charges[0].rider_category_id, "senior");
  EXPECT_EQ(charges[0].fare_product_id, "bus_flat");
  EXPECT_EQ(charges[0].amount, 0);
  EXPECT_EQ(charges[1].fare_product_id, "metro_3");
  EXPECT_EQ(charges[1].amount, 150);
}

TEST_F(FareEngineTest, MissingExitPaysTheMaximumFare) {
  // Entry at M02, then a new entry at M03 (no exit in between), then the
  // rider leaves at M04; a last entry at 10:00 is never closed.
  auto charges = FareTaps(feed_, ext_,
                          {Gate(Tap::Kind::kEntry, "M02", "2026-03-02T01:00:00Z"),
                           Gate(Tap::Kind::kEntry, "M03", "2026-03-02T01:30:00Z"),
                           Gate(Tap::Kind::kExit, "M04", "2026-03-02T01:40:00Z"),
                           Gate(Tap::Kind::kEntry, "M01", "2026-03-02T02:00:00Z")});
  ASSERT_EQ(charges.size(), 3u);
  EXPECT_EQ(charges[0].kind, TripKind::kNoExit);
  EXPECT_EQ(charges[0].amount, 500);
  EXPECT_EQ(charges[0].fare_product_id, "metro_5");
  EXPECT_EQ(charges[1].kind, TripKind::kComplete);
  EXPECT_EQ(charges[1].amount, 300);
  EXPECT_EQ(charges[2].kind, TripKind::kNoExit);
  EXPECT_EQ(charges[2].amount, 500);

  // An exit more than four hours after the entry does not close it.
  auto late = FareTaps(feed_, ext_,
                       {Gate(Tap::Kind::kEntry, "M02", "2026-03-02T01:00:00Z"),
                        Gate(Tap::Kind::kExit, "M03", "2026-03-02T05:00:01Z")});
  ASSERT_EQ(late.size(), 2u);
  EXPECT_EQ(late[0].kind, TripKind::kNoExit);
  EXPECT_EQ(late[1].kind, TripKind::kNoEntry);
  EXPECT_EQ(late[1].amount, 500);
}

// The demo feed with dearer metro fares at peak (07:00-09:00 local): every
// metro rule holds off-peak, and a copy of it at peak sells metro_peak.
void WritePeakFeed(const std::filesystem::path& dir) {
  std::filesystem::copy(
      CITYCODE_TRANSIT_DEMO_FEED, dir,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  std::ifstream in(dir / "fare_leg_rules.txt");
  std::string line, rules, peak;
  std::getline(in, line);
  rules = line + ",from_timeframe_group_id\n";
  while (std::getline(in, line)) {
    if (line.starts_with("metro,")) {
      rules += line + ",offpeak\n";
      peak += line.substr(0, line.rfind(',')) + ",metro_peak,peak\n";
    } else {
      rules += line + ",\n";
    }
  }
  std::ofstream(dir / "fare_leg_rules.txt") << rules << peak;
  std::ofstream(dir / "fare_products.txt", std::ios::app)
      << "metro_peak,地铁高峰,adult,citycode,8.00,CNY\n"
      << "metro_peak,地铁高峰,student,citycode,4.00,CNY\n";
  std::ofstream(dir / "timeframes.txt") << "timeframe_group_id,start_time,end_time,service_id\n"
                                        << "offpeak,00:00:00,07:00:00,daily\n"
                                        << "peak,07:00:00,09:00:00,daily\n"
                                        << "offpeak,09:00:00,24:00:00,daily\n";
}

// A missing tap-out pays the dearest fare at the trip's time: off-peak
// first, then at peak in the same day, also when the ranges are shared by
// riders (a range once worked out for the route was reused whatever the
// time).
TEST_F(FareEngineTest, MissingExitPaysTheMaximumFareOfItsTime) {
  testing::TempDir dir("peak-feed");
  WritePeakFeed(dir.path());
  auto feed = LoadFeed(dir.path());
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  auto ext = LoadFareExtensions(dir.path(), *feed);
  ASSERT_TRUE(ext.ok()) << ext.status().ToString();
  FareRanges ranges;  // shared by both calls, as the server shares it among riders
  auto charges = FareTaps(*feed, *ext,
                          {Gate(Tap::Kind::kEntry, "M02", "2026-03-02T22:00:00Z"),   // 06:00
                           Gate(Tap::Kind::kEntry, "M03", "2026-03-03T00:00:00Z"),   // 08:00
                           Gate(Tap::Kind::kExit, "M04", "2026-03-03T00:20:00Z"),    // 08:20
                           Gate(Tap::Kind::kEntry, "M01", "2026-03-03T02:00:00Z")},  // 10:00
                          {}, &ranges);
  ASSERT_EQ(charges.size(), 3u);
  EXPECT_EQ(charges[0].kind, TripKind::kNoExit);
  EXPECT_EQ(charges[0].amount, 500);
  EXPECT_EQ(charges[1].kind, TripKind::kComplete);
  EXPECT_EQ(charges[1].fare_product_id, "metro_peak");
  EXPECT_EQ(charges[1].amount, 800);
  EXPECT_EQ(charges[2].kind, TripKind::kNoExit);
  EXPECT_EQ(charges[2].amount, 500) << "off-peak again";
  auto at_peak = FareTaps(*feed, *ext,
                          {Gate(Tap::Kind::kEntry, "M02", "2026-03-02T22:00:00Z"),   // 06:00
                           Gate(Tap::Kind::kEntry, "M05", "2026-03-02T23:30:00Z")},  // 07:30
                          {}, &ranges);
  ASSERT_EQ(at_peak.size(), 2u);
  EXPECT_EQ(at_peak[0].amount, 500);
  EXPECT_EQ(at_peak[1].kind, TripKind::kNoExit);
  EXPECT_EQ(at_peak[1].fare_product_id, "metro_peak");
  EXPECT_EQ(at_peak[1].amount, 800);
}

TEST_F(FareEngineTest, ExitAtTheEntryStationPaysTheMinimumFare) {
  auto charges =
      FareTaps(feed_, ext_,
               {Gate(Tap::Kind::kEntry, "M02", "2026-03-02T01:00:00Z", Channel::kApp, "student"),
                Gate(Tap::Kind::kExit, "M02", "2026-03-02T01:05:00Z")});
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_EQ(charges[0].kind, TripKind::kSameStation);
  EXPECT_EQ(charges[0].rider_category_id, "student");  // the entry's category
  EXPECT_EQ(charges[0].fare_product_id, "metro_3");
  EXPECT_EQ(charges[0].amount, 150);
}

TEST_F(FareEngineTest, DailyCapPerOperatingDay) {
  ext_.daily_caps.push_back({"adult", 500, 0});
  // 08:00, 12:00, 18:00, 23:00 on 2 March and 03:00 on 3 March (the same
  // operating day, which ends at 04:00), then 05:00 on 3 March.
  auto charges = FareTaps(
      feed_, ext_,
      {Bus("bus_1", "B101", "2026-03-02T00:00:00Z"), Bus("bus_1", "B101", "2026-03-02T04:00:00Z"),
       Bus("bus_1", "B101", "2026-03-02T10:00:00Z"), Bus("bus_1", "B101", "2026-03-02T15:00:00Z"),
       Bus("bus_1", "B101", "2026-03-02T19:00:00Z"), Bus("bus_1", "B101", "2026-03-02T21:00:00Z")});
  std::vector<std::int64_t> amounts;
  for (const Charge& c : charges) amounts.push_back(c.amount);
  EXPECT_EQ(amounts, (std::vector<std::int64_t>{200, 200, 100, 0, 0, 200}));
  EXPECT_TRUE(charges[0].daily_cap_applied);
  EXPECT_EQ(charges[4].operating_day, (Date{2026, 3, 2}));
  EXPECT_EQ(charges[5].operating_day, (Date{2026, 3, 3}));
}

TEST_F(FareEngineTest, UnknownRouteIsAProblemNotAFare) {
  Tap tap = Bus("bus_1", "B101", "2026-03-02T00:00:00Z");
  tap.route_id = "bus_99";
  auto charges = FareTaps(feed_, ext_, {tap});
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_EQ(charges[0].amount, 0);
  EXPECT_NE(charges[0].problem, "");
}

}  // namespace
}  // namespace citycode::transit
