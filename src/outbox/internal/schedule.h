// When the next try of a failed delivery is due (private to outbox/).
#ifndef CITYCODE_OUTBOX_INTERNAL_SCHEDULE_H_
#define CITYCODE_OUTBOX_INTERNAL_SCHEDULE_H_

#include <chrono>
#include <optional>
#include <string_view>

#include "common/clock.h"

namespace citycode::outbox::internal {

// The longest wait a Retry-After may ask for; a longer one is cut to it.
inline constexpr std::chrono::seconds kMaxRetryAfter = std::chrono::hours(24);

// Retry-After (RFC 9110 10.2.3): delay-seconds, or an IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT") turned into a wait from `now` (zero if
// past). nullopt when absent or malformed (then the schedule decides).
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, Instant now);

// `wait` lengthened by a random part of up to `jitter` (0-1) of it.
std::chrono::seconds WithJitter(std::chrono::seconds wait, double jitter);

}  // namespace citycode::outbox::internal

#endif  // CITYCODE_OUTBOX_INTERNAL_SCHEDULE_H_
