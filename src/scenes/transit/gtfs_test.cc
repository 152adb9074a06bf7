#include "scenes/transit/gtfs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "scenes/transit/fare_rules.h"
#include "tests/support/status_matchers.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;
using ::testing::HasSubstr;

auto InvalidBecause(const char* why) {
  return StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr(why));
}

std::filesystem::path FeedDir(const char* name) {
  const char* env = std::getenv("CITYCODE_VECTORS");
  std::filesystem::path root = env != nullptr && *env != '\0' ? env : CITYCODE_VECTORS_DEFAULT;
  return root / "gtfs" / name;
}

Feed MustLoad(const char* name) {
  auto feed = LoadFeed(FeedDir(name));
  EXPECT_TRUE(feed.ok()) << feed.status().ToString();
  if (!feed.ok()) return Feed();
  // The real feeds are clean: any issue is a loader bug until shown otherwise.
  EXPECT_TRUE(feed->issues.empty()) << FormatIssues(feed->issues);
  return std::move(feed).value();
}

Leg MustLeg(const Feed& feed, const char* trip, const char* from, const char* to, Date date) {
  auto leg = LegOnTrip(feed, trip, from, to, date);
  EXPECT_TRUE(leg.ok()) << leg.status().ToString();
  return leg.ok() ? *leg : Leg();
}

TEST(GtfsValuesTest, AmountsTimesDates) {
  EXPECT_EQ(*ParseAmount("4.50", 2), 450);
  EXPECT_EQ(*ParseAmount("18.5", 2), 1850);
  EXPECT_EQ(*ParseAmount("20", 2), 2000);
  EXPECT_EQ(*ParseAmount("0.00", 2), 0);
  EXPECT_EQ(*ParseAmount("1.100", 2), 110);
  EXPECT_THAT(ParseAmount("1.105", 2), InvalidBecause("more decimals than the currency"));
  EXPECT_THAT(ParseAmount("4,50", 2), InvalidBecause("amount must be digits"));
  EXPECT_THAT(ParseAmount("", 2), InvalidBecause("amount must be digits"));
  EXPECT_THAT(ParseAmount("1e3", 2), InvalidBecause("amount must be digits"));
  EXPECT_EQ(*CurrencyDecimals("CNY"), 2);
  EXPECT_EQ(*CurrencyDecimals("JPY"), 0);
  EXPECT_FALSE(CurrencyDecimals("cad"));
  EXPECT_EQ(*ParseGtfsTime("25:10:05"), 25 * 3600 + 10 * 60 + 5);
  EXPECT_EQ(*ParseGtfsTime("5:17:00"), 5 * 3600 + 17 * 60);
  EXPECT_THAT(ParseGtfsTime("05:60:00"), InvalidBecause("must be below 60"));
  EXPECT_THAT(ParseGtfsTime("0517"), InvalidBecause("time must be H:MM:SS"));
  EXPECT_EQ((*ParseGtfsDate("20260105")).Weekday(), 0);  // a Monday
  EXPECT_THAT(ParseGtfsDate("20260230"), InvalidBecause("date out of range"));
  EXPECT_EQ((Date{2024, 2, 28}.AddDays(2)), (Date{2024, 3, 1}));
}

TEST(GtfsLoadTest, MissingFolderOrFile) {
  EXPECT_THAT(LoadFeed(FeedDir("no-such-feed")), StatusIs(StatusCode::kNotFound, "not_found"));
}

TEST(GtfsLoadTest, BadRowsAreIssuesWithLines) {
  auto dir = std::filesystem::path(::testing::TempDir()) / "transit_bad_feed";
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const char* text) {
    std::FILE* f = std::fopen((dir / name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs(text, f);
    std::fclose(f);
  };
  write("agency.txt", "agency_id,agency_name\nA,a\n");
  write("routes.txt", "route_id,agency_id,route_type\nR,A,3\nR,A,3\n");
  write("stops.txt", "stop_id\nS1\nS2\n");
  write("calendar_dates.txt", "service_id,date,exception_type\nX,20260101,1\nX,2026011,1\n");
  write("trips.txt", "route_id,service_id,trip_id\nR,X,T\nNOPE,X,T2\n");
  write("stop_times.txt",
        "trip_id,stop_id,stop_sequence,arrival_time,departure_time\n"
        "T,S1,1,08:00:00,08:00:00\nT,S2,2,8:61:00,\nT,S9,3,,\n");
  write("fare_products.txt", "fare_product_id,amount,currency\nP,1.234,CNY\nQ,2,CNY\n");
  write("fare_leg_rules.txt", "leg_group_id,fare_product_id,from_area_id\nG,P,\nG,Q,NOAREA\n");
  auto feed = LoadFeed(dir);
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  const std::string issues = FormatIssues(feed->issues);
  EXPECT_NE(issues.find("routes.txt:3: duplicate route_id 'R'"), std::string::npos) << issues;
  EXPECT_NE(issues.find("calendar_dates.txt:3: bad date"), std::string::npos) << issues;
  EXPECT_NE(issues.find("trips.txt:3: unknown route_id 'NOPE'"), std::string::npos) << issues;
  EXPECT_NE(issues.find("stop_times.txt:3: bad arrival_time"), std::string::npos) << issues;
  EXPECT_NE(issues.find("stop_times.txt:4: unknown stop_id 'S9'"), std::string::npos) << issues;
  EXPECT_NE(issues.find("fare_products.txt:2: bad amount '1.234'"), std::string::npos) << issues;
  EXPECT_NE(issues.find("fare_leg_rules.txt:2: unknown fare_product_id 'P'"), std::string::npos)
      << issues;
  EXPECT_NE(issues.find("fare_leg_rules.txt:3: unknown area_id 'NOAREA'"), std::string::npos)
      << issues;
  EXPECT_EQ(feed->issues.size(), 8u) << issues;

  std::filesystem::remove(dir / "stop_times.txt");
  EXPECT_THAT(LoadFeed(dir), StatusIs(StatusCode::kNotFound, "not_found"));
}

TEST(Transcollines2026Test, LegFares) {
  Feed feed = MustLoad("transcollines-2026");
  EXPECT_EQ(feed.networks.count("REG"), 1u);
  EXPECT_TRUE(feed.leg_rules_have_priority);
  const Date monday{2026, 1, 5};

  auto pnt_gat = FareForLeg(
      feed, MustLeg(feed, "20260105-Semaine-01-910-0-0517", "F134-01", "F912-51", monday));
  ASSERT_TRUE(pnt_gat);
  EXPECT_EQ(pnt_gat->leg_group_id, "REG-PNT-GAT");
  EXPECT_EQ(pnt_gat->fare_product_id, "PS-2000");
  EXPECT_EQ(pnt_gat->amount, 2000);
  EXPECT_EQ(pnt_gat->currency, "CAD");

  auto col_gat = FareForLeg(
      feed, MustLeg(feed, "20260105-Semaine-01-921-0-0523", "F213-01", "FL912-18", monday));
  ASSERT_TRUE(col_gat);
  EXPECT_EQ(col_gat->amount, 500);

  // Both stops in Gatineau: no rule, so no fare (not a 0.00 fare).
  Leg gat_gat = MustLeg(feed, "20260105-Semaine-01-910-0-0517", "F912-50", "F912-51", monday);
  ASSERT_EQ(feed.stop_areas["F912-50"], std::vector<std::string>{"GAT"});
  EXPECT_FALSE(FareForLeg(feed, gat_gat));

  // Outside the timeframe's service (2026-01-05 … 2026-08-23): no fare.
  EXPECT_FALSE(FareForLeg(feed, MustLeg(feed, "20260105-Semaine-01-910-0-0517", "F134-01",
                                        "F912-51", Date{2026, 9, 1})));
  EXPECT_FALSE(FareForLeg(feed, MustLeg(feed, "20260105-Semaine-01-910-0-0517", "F134-01",
                                        "F912-51", Date{2026, 1, 4})));
}

TEST(Transcollines2022Test, TransferWithinAndBeyondTheLimit) {
  Feed feed = MustLoad("transcollines-2022");
  ASSERT_EQ(feed.fare_transfer_rules.size(), 1u);
  const Date tuesday{2022, 9, 6};
  Leg first = MustLeg(feed, "2022-Semaine-1.925C_T03", "921032", "921024", tuesday);
  Leg second = MustLeg(feed, "2022-Semaine-1.923C_T03", "921024", "921062", tuesday);
  ASSERT_EQ(second.departure - *first.arrival, 240);

  auto a = FareForLeg(feed, first);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->leg_group_id, "GAT-COL");
  EXPECT_EQ(a->amount, 450);

  auto total = TotalForTwoLegs(feed, first, second);
  ASSERT_TRUE(total);
  EXPECT_EQ(total->amount, 450);
  EXPECT_EQ(total->currency, "CAD");
  EXPECT_NE(total->transfer_rule_line, 0);

  second.departure = *first.arrival + 420;  // the limit itself still counts
  EXPECT_EQ(TotalForTwoLegs(feed, first, second)->amount, 450);
  second.departure = *first.arrival + 421;
  second.arrival = second.departure + 2640;
  total = TotalForTwoLegs(feed, first, second);
  ASSERT_TRUE(total);
  EXPECT_EQ(total->amount, 900);
  EXPECT_EQ(total->transfer_rule_line, 0);
}

TEST(ZakroczymTest, LegFaresAndProductKeys) {
  Feed feed = MustLoad("zakroczym");
  EXPECT_EQ(feed.DefaultRiderCategory(), "0");
  const Date wednesday{2025, 11, 12};
  auto fare = [&](const char* trip, const char* from, const char* to) {
    Leg leg = MustLeg(feed, trip, from, to, wednesday);
    leg.rider_category_id = "0";
    leg.fare_media_id = "0";
    return FareForLeg(feed, leg);
  };
  auto z13 = fare("10-1", "100", "125");
  ASSERT_TRUE(z13);
  EXPECT_EQ(z13->amount, 500);
  EXPECT_EQ(z13->currency, "PLN");
  EXPECT_EQ(z13->leg_group_id, "flr_13");
  auto z12 = fare("20B-1", "200", "117-2");
  ASSERT_TRUE(z12);
  EXPECT_EQ(z12->amount, 400);
  auto z11 = fare("10S-1", "100", "113");
  ASSERT_TRUE(z11);  // a matched rule with price zero, not "no fare"
  EXPECT_EQ(z11->amount, 0);
  EXPECT_EQ(z11->fare_product_id, "single_ride_zone1_normal");

  // The default category applies when the leg names none.
  Leg leg = MustLeg(feed, "10-1", "100", "125", wednesday);
  ASSERT_TRUE(FareForLeg(feed, leg));
  // Single rides exist only for category 0, and only on medium 0.
  leg.rider_category_id = "3";
  EXPECT_FALSE(FareForLeg(feed, leg));
  leg.rider_category_id = "0";
  leg.fare_media_id = "1";
  EXPECT_FALSE(FareForLeg(feed, leg));

  auto discount = feed.Products("monthly_discount");
  ASSERT_EQ(discount.size(), 3u);
  std::map<std::string, std::int64_t> by_category;
  for (const FareProduct* p : discount) {
    EXPECT_EQ(p->fare_media_id, "1");
    by_category[p->rider_category_id] = p->amount;
  }
  EXPECT_EQ(by_category, (std::map<std::string, std::int64_t>{{"1", 0}, {"2", 7000}, {"3", 8820}}));
}

}  // namespace
}  // namespace citycode::transit
