// A gate simulator: a realistic operating day of taps for a feed, for load
// tests, demos and the clearing's end-to-end checks.
//
// Every simulated rider has a home and a work place on the network and a
// way between them: metro only, bus only, or bus then metro. Most riders
// commute (leaving around 07:30-08:30 and 17:30-18:30 local time), some make
// a midday round trip, a share come home at night (21:00-04:00). Metro rides
// are an entry then an exit at another station of the route 5-40 minutes
// later (a few riders forget to tap out, a very few leave where they came
// in); bus rides are one board tap. Rider categories are about 80% adult,
// 12% senior, 6% student, 2% disabled; channels about 85% app, the rest the
// partner wallets. On average a rider makes about 4 taps.
//
// Terminals are named as the platform's gates and validators are: metro
// gates "<stop_id>-g<N>" (more gates at busier stations), bus validators
// "<route_id>-v<NN>" (a fleet per route, sized by its riders). Each
// terminal numbers its taps 1, 2, … in time order, and taps are produced
// grouped by terminal in sequence order, as gates upload them.
//
// The result depends only on the feed and the options: the same seed gives
// the same taps (with this standard library; the random engine is
// std::mt19937_64, the distributions are our own).
#ifndef CITYCODE_SCENES_TRANSIT_SIMULATE_H_
#define CITYCODE_SCENES_TRANSIT_SIMULATE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"

namespace citycode::transit {

inline constexpr std::int64_t kMaxSimulatedRiders = 10'000'000;

struct SimulationOptions {
  std::int64_t riders = 1000;  // 1..kMaxSimulatedRiders
  Date day;                    // the operating day
  std::uint64_t seed = 1;
  // time: the local time the day is lived in; day_start: where the
  // operating day begins (every tap lies in [day + day_start, +24 h)).
  FareOptions fare_options;
};

struct SimulationSummary {
  std::int64_t taps = 0;
  std::int64_t riders = 0;     // riders with at least one tap (all of them)
  std::int64_t terminals = 0;  // terminals with at least one tap
};

// Receives each tap; a non-ok status stops the simulation and is returned.
// The TapUpload is reused between calls: copy what must outlive the call.
using TapSink = std::function<Status(const TapUpload& upload)>;

// Simulates `options.day` for `options.riders` riders on the routes of
// `feed` that run that day (Feed::ServiceRuns), calling `sink` once per tap.
// Taps only name routes and stops of the feed, each stop one that the
// route's trips serve. invalid_argument if riders is out of bounds or no
// route runs on the day. Memory: about 20 bytes per tap plus 1 per rider.
Result<SimulationSummary> SimulateDay(const Feed& feed, const SimulationOptions& options,
                                      const TapSink& sink);

// "sim-rider-00000042": the rider id of simulated rider `number` (1-based).
std::string SimulatedRiderId(std::int64_t number);
// Its inverse: 42 for "sim-rider-00000042"; 0 for any other text.
std::int64_t SimulatedRiderNumber(std::string_view rider_id);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_SIMULATE_H_
