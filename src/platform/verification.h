// Online verification: the offline verifier's checks, then city-wide replay
// detection and revocation from the store, recorded as one event.
#ifndef CITYCODE_PLATFORM_VERIFICATION_H_
#define CITYCODE_PLATFORM_VERIFICATION_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "code/verifier.h"
#include "common/clock.h"
#include "common/status.h"
#include "platform/principal.h"
#include "store/database.h"

namespace citycode::platform {

struct OnlineVerification {
  std::string verification_id;
  code::VerificationResult result;
  // Whose code it was, when valid; for the modules above (consent), never
  // for the terminal.
  std::string citizen_id;
  // The guardian whose phone holds the code, when result.held_by_guardian.
  std::string guardian_id;
  // Whether citizen_id's account had a verified identity (real name) as the
  // code was recorded: read with the credential, so that a real-name action
  // (a booking) needs no statement of its own.
  bool identity_verified = false;
};

class Verification {
 public:
  explicit Verification(PlatformCore& core) : core_(&core) {}

  // Verifies `qr_text` for the terminal's scene with city-wide replay
  // detection and the database's revocations, and records the verification.
  // A printed card (cards.h) is taken too (result.card): only at a terminal
  // whose scene accepts cards online (gov, transit; else
  // kSceneNotAllowed), with no replay check, and at most
  // PlatformOptions::card_uses_per_day valid uses in any 24 hours (then
  // kCardUseLimit). The same holds for Check + RecordIn and VerifyForAction;
  // VerifyScanned (an offline gate's upload) takes presentations only.
  // permission_denied unless `terminal` is a terminal principal.
  Result<OnlineVerification> Verify(const Principal& terminal, std::string_view qr_text);
  // Verify for a scene's action on a person (a ticket, a case, a booking):
  // a refused code is permission_denied code_invalid naming the verifier's
  // reason (never whose code it was), and so is a valid code whose
  // credential this platform's store does not know.
  Result<OnlineVerification> VerifyForAction(const Principal& terminal, std::string_view qr_text);
  // Verify in two steps, so that a scene's action and the code's use
  // commit together (or neither: a refused action leaves the code unused):
  // Check judges the code against the lists (signature, key, validity,
  // freshness) without the database, before the caller's write transaction
  // (the signature check is the costly part, and writers queue); RecordIn
  // completes it in that transaction (revocation and replay from the store,
  // the event). A refused code is answered, not an error: the caller
  // commits its record and then refuses (ActionRefusal).
  Result<code::VerificationResult> Check(const Principal& terminal, std::string_view qr_text);
  Result<OnlineVerification> RecordIn(store::Transaction& tx, const Principal& terminal,
                                      code::VerificationResult checked);
  // What VerifyForAction refuses a verification with (code_invalid), or OK.
  static Status ActionRefusal(const OnlineVerification& verification);
  // Verifies a code an offline gate scanned at `scanned_at` and uploads
  // now: the same checks as of that time (code::Verifier::VerifyScanned), a
  // revocation counting only if made before the scan, with city-wide replay
  // detection. A scan more than max_scan_age old is refused as stale, one
  // from the future as from_future. `scan_id` names the scan on its
  // terminal (a gate's sequence number): the same scan verified again, an
  // upload re-sent after a failure, is not a replay of itself and keeps
  // its first record (no second event; its verification_id is empty).
  Result<OnlineVerification> VerifyScanned(const Principal& terminal, std::string_view qr_text,
                                           Instant scanned_at, std::string_view scan_id = {});
  // VerifyScanned for every scan of an upload, in order, recorded in one
  // commit (a gate uploads hundreds at once: one commit each would make it
  // wait for hundreds of fsyncs). All or none are recorded.
  struct Scan {
    std::string_view qr_text;
    Instant scanned_at;
    std::string_view scan_id;
  };
  Result<std::vector<OnlineVerification>> VerifyScannedAll(const Principal& terminal,
                                                           std::span<const Scan> scans);

 private:
  Result<std::vector<OnlineVerification>> RecordScansIn(
      store::Transaction& tx, const Principal& terminal,
      const std::vector<code::VerificationResult>& checked, std::span<const Scan> scans);
  Status NameHolders(store::Transaction& tx, std::span<const Scan> scans, Instant now,
                     std::vector<OnlineVerification>& out);
  Status RefuseReplays(store::Transaction& tx, const std::vector<std::string>& names,
                       std::vector<OnlineVerification>& out);

  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_VERIFICATION_H_
