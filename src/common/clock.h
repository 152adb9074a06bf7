// Time as the domain sees it: UTC instants from an injected Clock.
//
// Nothing in the domain reads the wall clock directly, so every rule can be
// tested at any instant with a ManualClock.
#ifndef CITYCODE_COMMON_CLOCK_H_
#define CITYCODE_COMMON_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace citycode {

// A UTC instant with second precision (the precision of CWT and JSON lists).
using Instant = std::chrono::sys_seconds;

inline Instant FromUnixSeconds(std::int64_t s) { return Instant(std::chrono::seconds(s)); }
inline std::int64_t ToUnixSeconds(Instant t) { return t.time_since_epoch().count(); }

// Thread-safe source of the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

// The operating system's UTC clock.
class SystemClock final : public Clock {
 public:
  Instant Now() const override;
};

// A clock that only moves when told to; for tests and for `--at`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant now) : now_(ToUnixSeconds(now)) {}
  Instant Now() const override { return FromUnixSeconds(now_.load()); }
  void Set(Instant now) { now_.store(ToUnixSeconds(now)); }
  void Advance(std::chrono::seconds by) { now_.fetch_add(by.count()); }

 private:
  std::atomic<std::int64_t> now_;
};

// RFC 3339 in UTC, "2026-11-23T19:00:00Z".
std::string FormatRfc3339(Instant t);
// Accepts RFC 3339 date-times with "Z" or a numeric offset; fractional
// seconds are truncated.
Result<Instant> ParseRfc3339(std::string_view text);

// "30s", "15m", "24h", "7d" (a positive whole number and one unit).
Result<std::chrono::seconds> ParseDuration(std::string_view text);

}  // namespace citycode

#endif  // CITYCODE_COMMON_CLOCK_H_
