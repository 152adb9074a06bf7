#include "common/city_time.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace citycode {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;

Instant At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(CityTimeTest, ShanghaisDayBeginsAtSixteenHundredUtc) {
  const CityTime shanghai;
  EXPECT_EQ(FormatIsoDay(shanghai.LocalDay(At("2026-08-15T15:59:59Z"))), "2026-08-15");
  EXPECT_EQ(FormatIsoDay(shanghai.LocalDay(At("2026-08-15T16:00:00Z"))), "2026-08-16");
  EXPECT_EQ(shanghai.TimeOfDay(At("2026-08-15T13:30:00Z")), hours(21) + minutes(30));
  EXPECT_EQ(shanghai.StartOf(shanghai.LocalDay(At("2026-08-15T20:00:00Z"))),
            At("2026-08-15T16:00:00Z"));
  // Before 1970 too: days are floored, not truncated.
  EXPECT_EQ(FormatIsoDay(shanghai.LocalDay(At("1969-12-31T15:00:00Z"))), "1969-12-31");
}

TEST(CityTimeTest, ParsesTheZoneOrAFixedOffset) {
  EXPECT_EQ(ParseTimeZone("Asia/Shanghai")->utc_offset, hours(8));
  EXPECT_EQ(ParseTimeZone("+05:30")->utc_offset, hours(5) + minutes(30));
  EXPECT_EQ(ParseTimeZone("-03:00")->utc_offset, -hours(3));
  EXPECT_THAT(ParseTimeZone("+14:00"), IsOk());
  for (const char* bad : {"Europe/Berlin", "+8", "+08", "+08:60", "+14:01", "+-1:00", "08:00",
                          "+0a:00", ""}) {
    EXPECT_THAT(ParseTimeZone(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

}  // namespace
}  // namespace citycode
