// The demo city's feed (demo-feed/) and its citycode extension files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/fare_rules.h"
#include "scenes/transit/gtfs.h"
#include "tests/support/status_matchers.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;

TEST(DemoFeedTest, LoadsWithoutIssues) {
  auto feed = LoadFeed(CITYCODE_TRANSIT_DEMO_FEED);
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  EXPECT_TRUE(feed->issues.empty()) << FormatIssues(feed->issues);
  EXPECT_EQ(feed->agencies.size(), 2u);
  EXPECT_EQ(feed->routes.at("bus_1").network_id, "bus");
  EXPECT_EQ(feed->routes.at("metro_11").route_type, 1);
  EXPECT_EQ(feed->DefaultRiderCategory(), "adult");
  EXPECT_TRUE(feed->ServiceRuns("daily", Date{2027, 12, 31}));
  EXPECT_FALSE(feed->ServiceRuns("daily", Date{2028, 1, 1}));

  auto ext = LoadFareExtensions(CITYCODE_TRANSIT_DEMO_FEED, *feed);
  ASSERT_TRUE(ext.ok()) << ext.status().ToString();
  EXPECT_TRUE(ext->issues.empty()) << FormatIssues(ext->issues);
  ASSERT_EQ(ext->windows.size(), 1u);
  const FareWindow& w = ext->windows[0];
  EXPECT_EQ(w.id, "summer_night_2026");
  EXPECT_EQ(w.start_date, (Date{2026, 7, 1}));
  EXPECT_EQ(w.end_date, (Date{2026, 9, 30}));
  EXPECT_EQ(w.start, 21 * 3600);
  EXPECT_EQ(w.end, 4 * 3600);
  EXPECT_TRUE(w.CrossesMidnight());
  EXPECT_EQ(w.channels, std::vector<code::Channel>{code::Channel::kApp});
  EXPECT_EQ(w.route_types, (std::vector<int>{3, 1}));
  EXPECT_EQ(w.cap_amount, 100);
  EXPECT_TRUE(ext->daily_caps.empty());
}

TEST(DemoFeedTest, FaresFromTheTable) {
  auto feed = LoadFeed(CITYCODE_TRANSIT_DEMO_FEED);
  ASSERT_TRUE(feed.ok());
  auto fare = [&](const char* route, const char* from, const char* to, const char* category) {
    Leg leg{route, from, to, Date{2026, 8, 15}, 10 * 3600, std::nullopt, category, ""};
    auto f = FareForLeg(*feed, leg);
    return f ? f->amount : -1;
  };
  EXPECT_EQ(fare("bus_1", "B101", "B101", ""), 200);
  EXPECT_EQ(fare("bus_2", "B201", "B201", "student"), 100);
  EXPECT_EQ(fare("bus_2", "B201", "B201", "senior"), 0);
  EXPECT_EQ(fare("metro_11", "M01", "M02", ""), 300);
  EXPECT_EQ(fare("metro_11", "M01", "M03", ""), 300);
  EXPECT_EQ(fare("metro_11", "M04", "M01", ""), 400);
  EXPECT_EQ(fare("metro_11", "M01", "M05", ""), 400);
  EXPECT_EQ(fare("metro_11", "M06", "M01", ""), 500);
  EXPECT_EQ(fare("metro_11", "M06", "M01", "disabled"), 250);
}

TEST(FareExtensionsTest, BadRowsAreIssuesWithLines) {
  auto dir = std::filesystem::path(::testing::TempDir()) / "transit_bad_extensions";
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const char* text) {
    std::FILE* f = std::fopen((dir / name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs(text, f);
    std::fclose(f);
  };
  write("citycode_fare_windows.txt",
        "window_id,start_date,end_date,start_time,end_time,channels,route_types,cap_amount\n"
        "ok,20260701,20260930,21:00:00,04:00:00,app wechat,3,100\n"
        "ok,20260701,20260930,21:00:00,04:00:00,app,3,100\n"       // line 3: duplicate
        "late,20260701,20260930,21:00:00,28:00:00,app,3,100\n"     // line 4: past 24:00
        "chan,20260701,20260930,21:00:00,04:00:00,pigeon,3,100\n"  // line 5
        "cap,20260701,20260930,21:00:00,04:00:00,app,3,1.00\n"     // line 6: not fen
        "back,20260930,20260701,21:00:00,04:00:00,app,3,100\n"     // line 7
        "any,20260701,20260701,08:00:00,09:00:00,,,0\n");
  write("citycode_daily_caps.txt",
        "rider_category_id,cap_amount\nadult,1000\nnobody,5\nadult,900\n");
  Feed feed;
  feed.rider_categories["adult"] = RiderCategory{"adult", "adult", true};
  auto ext = LoadFareExtensions(dir, feed);
  ASSERT_TRUE(ext.ok()) << ext.status().ToString();
  ASSERT_EQ(ext->windows.size(), 2u);
  EXPECT_EQ(ext->windows[0].id, "any");  // sorted by id
  EXPECT_TRUE(ext->windows[0].channels.empty());
  EXPECT_EQ(ext->windows[1].channels,
            (std::vector<code::Channel>{code::Channel::kApp, code::Channel::kWechat}));
  ASSERT_EQ(ext->daily_caps.size(), 1u);
  EXPECT_EQ(ext->daily_caps[0].cap_amount, 1000);
  std::vector<std::pair<std::string, int>> where;
  for (const Issue& i : ext->issues) where.emplace_back(i.file, i.line);
  const std::string w = "citycode_fare_windows.txt", c = "citycode_daily_caps.txt";
  EXPECT_EQ(where, (std::vector<std::pair<std::string, int>>{
                       {w, 3}, {w, 4}, {w, 5}, {w, 6}, {w, 7}, {c, 3}, {c, 4}}))
      << FormatIssues(ext->issues);

  write("citycode_daily_caps.txt", "rider_category_id\nadult\n");
  EXPECT_THAT(LoadFareExtensions(dir, feed),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

}  // namespace
}  // namespace citycode::transit
