// A gate's or validator's upload of scanned taps: dedupe, verify each code
// as of its scan, store and fare.
//
// A tap's identity is (terminal, sequence), the terminal being the
// caller's, never the upload's. Every code is checked again as of the tap's
// time (Verification::VerifyScanned: gates work offline and upload hours
// later), which names the rider, the channel and the rider category; the gate's own
// offline verdict is not trusted. Taps already stored (or repeated in the
// upload) are counted as duplicates BEFORE their codes are verified:
// verification records the code for replay detection, so a re-sent batch
// would otherwise come back as replays. A stored sequence number that comes
// back with another time is a conflict: counted, not stored. A tap whose
// code is refused is stored as a refused tap with the verifier's reason.
// The terminal learns counts only, never whose taps they were.
#ifndef CITYCODE_SCENES_TRANSIT_TAP_UPLOAD_H_
#define CITYCODE_SCENES_TRANSIT_TAP_UPLOAD_H_

#include <string>
#include <vector>

#include "common/status.h"
#include "platform/platform.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"

namespace citycode::transit {

class Operators;

// A tap as the terminal read it: the code is the scanned text.
struct ScannedTap {
  Tap tap;  // terminal_id is set by UploadScannedTaps
  std::string code;
};

// Refused whole, before anything is verified, unless the terminal may
// upload every tap (Operators::CheckTaps: its scene, its operator's
// routes, its own route). The new taps' codes are verified and recorded in
// one commit (Verification::VerifyScannedAll), then the taps stored in
// another: if recording fails (storage), nothing is stored and the error
// is returned. A tap verified but not stored (storing failed) is verified
// again when re-sent: the platform knows the scan by its terminal and
// sequence, so it is not refused as a replay.
Result<UploadResult> UploadScannedTaps(platform::Platform& platform, Rides& rides,
                                       Operators& operators, const Feed& feed,
                                       const platform::Principal& terminal,
                                       std::vector<ScannedTap> taps);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_TAP_UPLOAD_H_
