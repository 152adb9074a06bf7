// A gate's or validator's scanned taps, uploaded or loaded from a depot's
// file: dedupe, verify each code as of its scan, then store (and fare).
//
// A tap's identity is (terminal, sequence), the terminal being the
// caller's (or, for a file, the row's terminal as the platform knows it).
// Every code is checked again as of the tap's time
// (Verification::VerifyScanned: gates work offline and upload hours later),
// which names the rider, the channel and the rider category; the gate's own
// offline verdict is not trusted. A tap whose code is refused is stored as
// a refused tap with the verifier's reason.
#ifndef CITYCODE_SCENES_TRANSIT_TAP_UPLOAD_H_
#define CITYCODE_SCENES_TRANSIT_TAP_UPLOAD_H_

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "platform/platform.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/operators.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

namespace citycode::transit {

// invalid_argument unless the tap's route and stop are the feed's and its
// kind fits the route (gated metro and rail take entry and exit, the rest
// board): checked before anything is verified.
Status CheckScannedTap(const Feed& feed, const Tap& tap);

// An upload judged: its new taps, each verified as of its scan and named by
// its rider (or refused with the verifier's reason), ready to be stored;
// the taps that were not new, counted.
struct JudgedTaps {
  UploadResult counts;  // duplicates and conflicts
  std::vector<TapUpload> batch;
};

// The one path from what a gate scanned to the taps transit stores, shared
// by the gates' upload (POST /v1/transit/taps) and a depot's tap file
// (LoadTapFile, bulk_taps.h). Safe to share between threads.
class TapJudge {
 public:
  // All must outlive the judge.
  TapJudge(store::Database& db, platform::Platform& platform, Operators& operators,
           const Feed& feed)
      : db_(db), platform_(platform), operators_(operators), feed_(feed) {}

  // Refused whole, before anything is verified, unless the terminal may
  // upload every tap (Operators::CheckTaps: its scene, its operator's
  // routes, its own route). Taps already stored (or repeated in the upload)
  // are counted as duplicates BEFORE their codes are verified: verifying
  // records the code for replay detection, so a re-sent batch would
  // otherwise come back as replays; a stored sequence number that comes
  // back with another time is a conflict. The new taps' codes are verified
  // and recorded in one commit (Verification::VerifyScannedAll); a storage
  // failure there records none. A tap verified but not stored afterwards
  // is verified again when re-sent: the platform knows the scan by its
  // terminal and sequence, so it is neither refused as a replay nor
  // recorded twice.
  Result<JudgedTaps> Judge(const platform::Principal& terminal, std::vector<ScannedTap> taps);

 private:
  // The sequence numbers of the terminal stored in [low, high], each with
  // its tap's time in unix seconds.
  Result<std::map<std::int64_t, std::int64_t>> StoredSequences(std::string_view terminal_id,
                                                               std::int64_t low, std::int64_t high);

  store::Database& db_;
  platform::Platform& platform_;
  Operators& operators_;
  const Feed& feed_;
};

// A gate's upload: judged, then stored and fared in one transaction
// (Rides::UploadTaps). The terminal learns counts only, never whose taps
// they were.
Result<UploadResult> UploadScannedTaps(TapJudge& judge, Rides& rides,
                                       const platform::Principal& terminal,
                                       std::vector<ScannedTap> taps);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_TAP_UPLOAD_H_
