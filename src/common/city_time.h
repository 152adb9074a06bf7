// The city's local time, written once. Every local rule (fare windows and
// operating days, the hall's queue day, a certificate's validity dates) takes
// its day and time of day from here.
//
// A city's zone is a fixed offset from UTC: Asia/Shanghai, the default, has
// kept UTC+8 without daylight saving time since 1991. Zones with DST are
// refused by ParseTimeZone rather than handled wrongly.
#ifndef CITYCODE_COMMON_CITY_TIME_H_
#define CITYCODE_COMMON_CITY_TIME_H_

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace citycode {

inline constexpr std::chrono::seconds kShanghaiUtcOffset = std::chrono::hours(8);

struct CityTime {
  std::chrono::seconds utc_offset = kShanghaiUtcOffset;

  // The local calendar day `t` falls on.
  std::chrono::sys_days LocalDay(Instant t) const {
    return std::chrono::floor<std::chrono::days>(t + utc_offset);
  }
  // Time since the local midnight before `t`.
  std::chrono::seconds TimeOfDay(Instant t) const { return t + utc_offset - LocalDay(t); }
  // The instant the local day `day` begins.
  Instant StartOf(std::chrono::sys_days day) const { return Instant(day) - utc_offset; }

  friend bool operator==(const CityTime&, const CityTime&) = default;
};

// "YYYY-MM-DD".
std::string FormatIsoDay(std::chrono::sys_days day);
// "YYYY-MM-DD", a real calendar day; invalid_argument otherwise.
Result<std::chrono::sys_days> ParseIsoDay(std::string_view text);
// The completed years from `born` to `on` (an age).
int YearsBetween(std::chrono::year_month_day born, std::chrono::year_month_day on);

// "Asia/Shanghai" or a fixed offset "+08:00" / "-03:30" (up to ±14:00);
// invalid_argument for anything else, zones with daylight saving time
// included.
Result<CityTime> ParseTimeZone(std::string_view text);

}  // namespace citycode

#endif  // CITYCODE_COMMON_CITY_TIME_H_
