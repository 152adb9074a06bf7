#include "common/clock.h"

#include <charconv>
#include <cstdio>

namespace citycode {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
bool ReadNumber(std::string_view text, size_t pos, size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

}  // namespace

Instant SystemClock::Now() const {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string FormatRfc3339(Instant t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

Result<Instant> ParseRfc3339(std::string_view text) {
  using namespace std::chrono;
  // date-time = YYYY-MM-DD ("T" / "t") hh:mm:ss [.frac] ("Z" / ("+"/"-") hh:mm)
  int y, mo, d, h, mi, s;
  if (text.size() < 20 || !ReadNumber(text, 0, 4, y) || text[4] != '-' ||
      !ReadNumber(text, 5, 2, mo) || text[7] != '-' || !ReadNumber(text, 8, 2, d) ||
      (text[10] != 'T' && text[10] != 't') || !ReadNumber(text, 11, 2, h) || text[13] != ':' ||
      !ReadNumber(text, 14, 2, mi) || text[16] != ':' || !ReadNumber(text, 17, 2, s)) {
    return InvalidArgument("not an RFC 3339 date-time");
  }
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return InvalidArgument("not an RFC 3339 date-time");
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!ReadNumber(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ReadNumber(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return InvalidArgument("not an RFC 3339 date-time");
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return InvalidArgument("RFC 3339 date-time without a time zone");
  }
  if (pos != text.size()) return InvalidArgument("not an RFC 3339 date-time");
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) {
    return InvalidArgument("RFC 3339 date-time out of range");
  }
  // A leap second (":60") is read as the next second.
  return Instant(sys_days(ymd).time_since_epoch()) + hours(h) + minutes(mi) + seconds(s) -
         minutes(offset_minutes);
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text.size() < 2) return InvalidArgument("duration must look like 30s, 15m, 24h or 7d");
  long long count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, count);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || count <= 0) {
    return InvalidArgument("duration must look like 30s, 15m, 24h or 7d");
  }
  long long unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return InvalidArgument("duration must look like 30s, 15m, 24h or 7d");
  }
  // The bound applies to the whole duration, not to the count before the
  // unit (which let "3000000000d" through).
  constexpr long long kMaxSeconds = 100LL * 365 * 86400;
  if (count > kMaxSeconds / unit) return InvalidArgument("duration longer than 100 years");
  return std::chrono::seconds(count * unit);
}

}  // namespace citycode
