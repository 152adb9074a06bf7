// A simulated day as the gates scanned it (`citycode transit simulate`):
// the simulator's taps (simulate.h), each from a terminal the platform knows
// and carrying the code its rider's phone showed at that second, so that
// loading the day takes the path real taps take (tap_upload.h).
//
// It writes into the city what such a day needs: for each of the feed's
// agencies that no organisation runs yet, a transit operator bound to it;
// a terminal for each simulated gate and validator; and the riders, each a
// held account (no password, no phone: nobody signs in as one) with one
// phone whose key is derived from the seed and the rider's number. The
// platform's clock must stand before the day when this runs: the
// credentials it issues must be valid at the taps' times.
//
// Memory: the riders' credentials (about 250 bytes each) beside the
// simulator's own.
#ifndef CITYCODE_SCENES_TRANSIT_SCANNED_DAY_H_
#define CITYCODE_SCENES_TRANSIT_SCANNED_DAY_H_

#include <functional>

#include "common/status.h"
#include "platform/platform.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/operators.h"
#include "scenes/transit/rides.h"
#include "scenes/transit/simulate.h"

namespace citycode::transit {

struct ScannedDayOptions {
  SimulationOptions simulation;
  int threads = 2;  // that enrol the riders and sign the codes
};

// Receives each tap in the simulator's order (grouped by terminal, in
// sequence order); a non-ok status stops the run and is returned.
using ScannedTapSink = std::function<Status(const ScannedTap& scanned)>;

// invalid_argument as SimulateDay, or for threads < 1.
Result<SimulationSummary> SimulateScannedDay(platform::Platform& platform, Operators& operators,
                                             const Feed& feed, const ScannedDayOptions& options,
                                             const ScannedTapSink& sink);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_SCANNED_DAY_H_
