#include "outbox/internal/schedule.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <random>

namespace citycode::outbox::internal {
namespace {

std::optional<int> Number(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions, 29 characters.
std::optional<Instant> ParseImfFixdate(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT" ||
      text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':') {
    return std::nullopt;
  }
  const auto month = std::find(kMonths.begin(), kMonths.end(), text.substr(8, 3));
  const auto day = Number(text.substr(5, 2)), year = Number(text.substr(12, 4));
  const auto hour = Number(text.substr(17, 2)), minute = Number(text.substr(20, 2));
  const auto second = Number(text.substr(23, 2));
  if (month == kMonths.end() || !day || !year || !hour || !minute || !second || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(unsigned(month - kMonths.begin() + 1)),
                            std::chrono::day(unsigned(*day))};
  if (!date.ok()) return std::nullopt;
  return Instant(sys_days(date)) + hours(*hour) + minutes(*minute) + seconds(*second);
}

}  // namespace

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, Instant now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::min(std::chrono::seconds(seconds), kMaxRetryAfter);
  }
  if (error == std::errc::result_out_of_range) return kMaxRetryAfter;
  const auto at = ParseImfFixdate(value);
  if (!at) return std::nullopt;
  return std::clamp(std::chrono::seconds(*at - now), std::chrono::seconds(0), kMaxRetryAfter);
}

std::chrono::seconds WithJitter(std::chrono::seconds wait, double jitter) {
  if (jitter <= 0 || wait.count() <= 0) return wait;
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> fraction(0, std::min(jitter, 1.0));
  double extra = 0;
  {
    std::lock_guard lock(mutex);
    extra = fraction(random);
  }
  return wait + std::chrono::seconds(static_cast<std::int64_t>(wait.count() * extra));
}

}  // namespace citycode::outbox::internal
