#include "common/city_time.h"

#include <cstdio>

namespace citycode {

std::string FormatIsoDay(std::chrono::sys_days day) {
  const std::chrono::year_month_day date(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

Result<std::chrono::sys_days> ParseIsoDay(std::string_view text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  const std::string copy(text);
  if (text.size() != 10 || std::sscanf(copy.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      copy[4] != '-' || copy[7] != '-') {
    return InvalidArgument("a day is YYYY-MM-DD");
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return InvalidArgument("a day is YYYY-MM-DD");
  return std::chrono::sys_days(ymd);
}

int YearsBetween(std::chrono::year_month_day born, std::chrono::year_month_day on) {
  int years = static_cast<int>(on.year()) - static_cast<int>(born.year());
  if (on.month() < born.month() || (on.month() == born.month() && on.day() < born.day())) --years;
  return years;
}

Result<CityTime> ParseTimeZone(std::string_view text) {
  if (text == "Asia/Shanghai") return CityTime{.utc_offset = kShanghaiUtcOffset};
  const auto invalid = [] {
    return InvalidArgument(
        "time zone must be Asia/Shanghai or a fixed offset like +08:00 (zones with daylight "
        "saving time are not supported)");
  };
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' || !digit(1) ||
      !digit(2) || !digit(4) || !digit(5)) {
    return invalid();
  }
  const int hours = (text[1] - '0') * 10 + (text[2] - '0');
  const int minutes = (text[4] - '0') * 10 + (text[5] - '0');
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return invalid();
  const std::chrono::seconds offset = std::chrono::hours(hours) + std::chrono::minutes(minutes);
  return CityTime{.utc_offset = text[0] == '-' ? -offset : offset};
}

}  // namespace citycode
