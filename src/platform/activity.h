// What the city's terminals did, aggregated in the database for the
// operator's dashboard: verifications by hour, scene and reason, and which
// terminals have gone silent.
//
// Verifications are counted from hourly totals (verification_hours) that
// the first query after an hour has ended adds once, plus the events of the
// hours not yet totalled, so a query reads at most about an hour of events
// however large the table grows. An event's time is when the platform
// recorded it, never a gate's scan time, so an hour's events are complete a
// few minutes after it ends (kLateGrace: a transaction or a server's clock
// that late).
#ifndef CITYCODE_PLATFORM_ACTIVITY_H_
#define CITYCODE_PLATFORM_ACTIVITY_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "platform/principal.h"

namespace citycode::platform {

// Verifications of one hour (UTC; whole hours in the city's time zone too),
// scene and outcome.
struct VerificationCount {
  Instant hour{};
  std::string scene;   // CC1 scene name: "transit"
  bool valid = false;  // refused otherwise
  std::string reason;  // code::ReasonName: "ok", "replayed" …
  std::int64_t count = 0;
};

// An enabled terminal and when the platform last recorded a verification
// from it (online, or a gate's upload).
struct TerminalSeen {
  std::string id;
  std::string name;
  std::string scene;
  std::string org_name;
  std::string site_name;
  std::optional<Instant> last_seen;
};

struct TerminalActivity {
  std::int64_t active = 0;  // seen within silent_after
  std::int64_t silent = 0;  // enabled, not seen within silent_after (or never)
  // The silent ones, never seen first, then the longest silent.
  std::vector<TerminalSeen> silent_terminals;
};

class Activity {
 public:
  // Events may be recorded this late into the next hour.
  static constexpr std::chrono::minutes kLateGrace{5};
  // How far back Verifications looks at most.
  static constexpr std::chrono::hours kMaxWindow{24 * 7};

  explicit Activity(PlatformCore& core) : core_(&core) {}

  // Verifications counted by hour, scene, outcome and reason from the hour
  // holding `since` (at most kMaxWindow back) to now; only non-zero counts,
  // by hour.
  Result<std::vector<VerificationCount>> Verifications(Instant since);
  // Enabled terminals: active when seen within `silent_after`; at most
  // `list_limit` silent ones listed.
  Result<TerminalActivity> Terminals(std::chrono::seconds silent_after, std::size_t list_limit);

 private:
  // Adds the hourly totals of the hours ended by now - kLateGrace.
  Status TotalEndedHours(Instant now);

  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_ACTIVITY_H_
