#include "common/clock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "tests/support/status_matchers.h"

namespace citycode {
namespace {

using ::citycode::testing::StatusIs;

using std::chrono::seconds;

// 2026-11-23T19:00:00Z.
constexpr std::int64_t kSample = 1795460400;

Instant Parsed(std::string_view text) {
  Result<Instant> t = ParseRfc3339(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : Instant();
}

TEST(Rfc3339, Formats) {
  EXPECT_EQ(FormatRfc3339(FromUnixSeconds(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(FromUnixSeconds(kSample)), "2026-11-23T19:00:00Z");
  EXPECT_EQ(FormatRfc3339(FromUnixSeconds(1709251199)), "2024-02-29T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(FromUnixSeconds(4102444800)), "2100-01-01T00:00:00Z");
}

TEST(Rfc3339, ParsesUtc) {
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-23T19:00:00Z")), kSample);
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-23t19:00:00z")), kSample);
  EXPECT_EQ(ToUnixSeconds(Parsed("1970-01-01T00:00:00Z")), 0);
  EXPECT_EQ(ToUnixSeconds(Parsed("2024-02-29T23:59:59Z")), 1709251199);
}

TEST(Rfc3339, ParsesOffsets) {
  // The same instant in three zones.
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-24T03:00:00+08:00")), kSample);
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-23T13:30:00-05:30")), kSample);
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-23T19:00:00+00:00")), kSample);
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-23T19:00:00-00:00")), kSample);
}

TEST(Rfc3339, TruncatesFractionalSeconds) {
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-23T19:00:00.999999Z")), kSample);
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-23T19:00:00.1Z")), kSample);
  EXPECT_EQ(ToUnixSeconds(Parsed("2026-11-24T03:00:00.5+08:00")), kSample);
}

TEST(Rfc3339, LeapSecondIsTheNextSecond) {
  EXPECT_EQ(ToUnixSeconds(Parsed("2016-12-31T23:59:60Z")), 1483228800);
}

TEST(Rfc3339, RoundTrips) {
  for (const std::int64_t t :
       {std::int64_t{0}, kSample, std::int64_t{951782400}, std::int64_t{4102444799}}) {
    EXPECT_EQ(ToUnixSeconds(Parsed(FormatRfc3339(FromUnixSeconds(t)))), t);
  }
}

TEST(Rfc3339, RejectsInvalidDates) {
  for (const char* bad : {"2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z",
                          "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z"}) {
    EXPECT_THAT(ParseRfc3339(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
  EXPECT_EQ(ParseRfc3339("2026-02-30T00:00:00Z").status(),
            InvalidArgument("RFC 3339 date-time out of range"));
}

TEST(Rfc3339, RequiresAZone) {
  EXPECT_EQ(ParseRfc3339("2026-11-23T19:00:00.5").status(),
            InvalidArgument("RFC 3339 date-time without a time zone"));
  EXPECT_THAT(ParseRfc3339("2026-11-23T19:00:00"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST(Rfc3339, RejectsMalformedText) {
  for (const char* bad :
       {"", "2026-11-23", "2026-11-23T19:00Z", "2026-11-23 19:00:00Z", "2026/11/23T19:00:00Z",
        "26-11-23T19:00:00Z", "2026-11-23T19:00:00ZZ", "2026-11-23T19:00:00Z ",
        " 2026-11-23T19:00:00Z", "2026-11-23T19:00:00.Z", "2026-11-23T19:00:00+0800",
        "2026-11-23T19:00:00+08", "2026-11-23T19:00:00+24:00", "2026-11-23T19:00:00+08:60",
        "2026-11-23T19:00:00+08:00:00", "2026-11-23T19:00:00UTC", "2026-1x-23T19:00:00Z"}) {
    EXPECT_THAT(ParseRfc3339(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

TEST(Duration, ParsesEachUnit) {
  const struct {
    const char* text;
    std::int64_t seconds;
  } cases[] = {{"30s", 30},
               {"15m", 900},
               {"24h", 86400},
               {"7d", 604800},
               {"1s", 1},
               {"36500d", 3153600000},
               {"3153600000s", 3153600000}};
  for (const auto& c : cases) {
    Result<seconds> d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text;
    EXPECT_EQ(d->count(), c.seconds) << c.text;
  }
}

TEST(Duration, RejectsBadInput) {
  for (const char* bad : {"", "s", "5", "0s", "-5s", "+5s", "5x", "5S", "1.5h", " 5s", "5 s", "5s ",
                          "h24", "99999999999999999999s", "36501d", "3153600001s", "3000000000d"}) {
    EXPECT_THAT(ParseDuration(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(FromUnixSeconds(kSample));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), kSample);
  EXPECT_EQ(ToUnixSeconds(clock.Now()), kSample);
  clock.Advance(seconds(30));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), kSample + 30);
  clock.Advance(seconds(-60));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), kSample - 30);
  clock.Set(FromUnixSeconds(0));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 0);
}

TEST(SystemClock, IsTheWallClock) {
  const SystemClock clock;
  const auto before = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  const Instant now = clock.Now();
  const auto after = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace citycode
