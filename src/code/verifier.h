// The offline verifier a gate, kiosk or counter links (citycode_verifier):
// checks a CC1 code (or a CV1 printed visitor pass) against the trust list
// and revocation list it holds, with no database and no network.
//
// Thread safety: all methods may be called concurrently; lists can be
// replaced while verifications run (each verification sees one consistent
// pair of lists).
#ifndef CITYCODE_CODE_VERIFIER_H_
#define CITYCODE_CODE_VERIFIER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "code/credential.h"
#include "code/replay_cache.h"
#include "code/trust_list.h"
#include "code/visitor_pass.h"
#include "common/clock.h"
#include "common/status.h"

namespace citycode::code {

// Why a code was refused, checked in this order (DESIGN.md). Each has a
// stable snake_case name (ReasonName) that APIs and the CLI print.
enum class Reason {
  kValid,
  kClockBehind,         // our clock is behind the newest list's issued_at
  kMalformed,           // not a CC1 code at all
  kNotAPresentation,    // a bare credential where a presentation is expected
  kUnknownKey,          // kid not in the trust list, or key not valid now
  kBadIssuerSignature,  // credential signature does not verify
  kCredentialExpired,
  kCredentialNotYetValid,
  kCredentialRevoked,
  kBadDeviceSignature,  // presentation not signed by the credential's device key
  kStale,               // made longer ago than the window
  kFromFuture,          // made more than max_future ahead of our clock
  kReplayed,            // this exact presentation was accepted before
  kSceneNotAllowed,     // the credential does not cover this scene
  // The code passed every check but could not be recorded for replay
  // detection (the replay journal cannot be written), so it is refused; the
  // operator must fix the terminal.
  kReplayCheckFailed,
  // VerifyCard: a presentation, or a credential with a device key (cnf),
  // where a printed card is expected.
  kNotACard,
  // Online only (platform/verification.h): a printed card used more often
  // than its use limit allows; an offline verifier never gives it.
  kCardUseLimit,
};
std::string_view ReasonName(Reason reason);  // "valid", "clock_behind", "malformed", ...

// Conditions that do not refuse a code but that the operator must see.
enum class Warning {
  kStaleTrustList,       // verified with a trust list past its expires_at
  kStaleRevocationList,  // verified with a revocation list past its expires_at
};
std::string_view WarningName(Warning warning);  // "stale_trust_list", ...

struct VerifierOptions {
  // A presentation older than this is stale.
  std::chrono::seconds window{60};
  // A presentation (or credential iat, or list issued_at) this far ahead of
  // our clock is still accepted: phones' clocks drift a little.
  std::chrono::seconds max_future{5};
  // Presentations remembered for replay detection (about 100 bytes each).
  std::size_t replay_cache_capacity = 100'000;
  // Credentials whose issuer signature was already checked; 0 disables.
  // A citizen's phone shows the same credential all day, so a gate that
  // remembers it skips one signature check per scan.
  std::size_t credential_cache_capacity = 10'000;
  // Off for a verifier whose caller keeps its own replay record (the
  // platform's online verify records (cti, t, n) in its database, shared by
  // every server, in the same transaction as the verification event).
  bool detect_replay = true;
};

struct VerificationResult {
  bool valid = false;
  Reason reason = Reason::kMalformed;
  std::vector<Warning> warnings;
  // Filled once the credential has been decoded, also when it is refused
  // later (so a refusal can be audited); empty/zero before that.
  Subject subject{};
  CredentialId credential_id{};
  std::vector<Scene> scenes;
  Channel channel = Channel::kApp;
  std::optional<RiderCategory> rider_category;
  bool held_by_guardian = false;  // a dependant's code, shown by a guardian
  Instant made_at{};              // t
  std::uint64_t counter = 0;      // n
  // Verified by VerifyCard: a printed card, which has no presentation (no t,
  // no n) and is never checked for replay.
  bool card = false;
};

// The verdict on a printed visitor pass (code/visitor_pass.h).
struct VisitorPassResult {
  bool valid = false;
  Reason reason = Reason::kMalformed;
  std::vector<Warning> warnings;
  // Filled once the pass's signature has verified, also when it is refused
  // later (expired, not yet valid, revoked), so a refusal can be audited;
  // empty before that.
  VisitorPassClaims claims;
};

class Verifier {
 public:
  // `clock` must outlive the verifier.
  Verifier(const Clock& clock, TrustList trust_list, RevocationList revocation_list,
           VerifierOptions options = {});
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Verifies a QR text ("CC1:…") for `scene` (nullopt: any scene). Never
  // throws; bad input yields kMalformed.
  VerificationResult Verify(std::string_view qr_text, std::optional<Scene> scene) const;
  // Same for the signed presentation bytes.
  VerificationResult VerifyBytes(ByteView presentation, std::optional<Scene> scene) const;
  // Verifies a code an offline gate scanned at `scanned_at` and uploads
  // later: every time check (key validity, credential lifetime, staleness)
  // is made as of `scanned_at`. The lists' issue time is not checked, and
  // neither the revocation list nor the replay record is consulted: both
  // now hold later events, so the caller must check revocation as of
  // `scanned_at` and replay itself.
  VerificationResult VerifyScanned(std::string_view qr_text, std::optional<Scene> scene,
                                   Instant scanned_at) const;

  // Verifies a printed card: QR text "CC1:" + Base45 of the card's credential
  // itself (a credential without cnf, channel card), for `scene` (nullopt:
  // any scene), at the clock's now, in this order: kClockBehind →
  // kMalformed → kNotACard (a presentation, or a credential with a device
  // key) → kUnknownKey → kBadIssuerSignature → kCredentialExpired /
  // kCredentialNotYetValid → kCredentialRevoked → kSceneNotAllowed. The
  // same key, lifetime and revocation checks as Verify; no freshness and no
  // replay check (a card is static: a copy of it is bounded by where it is
  // accepted, docs/VERIFIER.md). The result has `card` set and channel
  // card. Never throws.
  VerificationResult VerifyCard(std::string_view qr_text, std::optional<Scene> scene) const;
  // What a reader that takes both shows: Verify, and for a bare credential
  // (kNotAPresentation) VerifyCard; a credential that is no card either (it
  // has cnf) stays kNotAPresentation. An access gate uses it, its allow-list
  // deciding whether a card is admitted; the platform's online verification
  // too, with its own use limits.
  VerificationResult VerifyCodeOrCard(std::string_view qr_text, std::optional<Scene> scene) const;

  // Checks a printed visitor pass ("CV1:…") at the clock's now, in this
  // order: kClockBehind (our clock behind the newest list's issued_at) →
  // kMalformed (not a pass: bad text, a credential, a presentation) →
  // kUnknownKey (another issuer, or no trusted key with the pass's kid valid
  // now) → kBadIssuerSignature → kCredentialNotYetValid (more than
  // max_future before nbf) / kCredentialExpired (at or after exp) →
  // kCredentialRevoked (its cti in the revocation list). Lists past their
  // expires_at add warnings, as for codes. Counting the pass's entries is the
  // gate's job, not the verifier's. Never throws.
  VisitorPassResult VerifyVisitorPass(std::string_view text) const;

  // Replace a list. failed_precondition if its version is lower than the one
  // held (a terminal never goes back to an older list) or, for the trust
  // list, if it names another issuer.
  Status UpdateTrustList(TrustList list);
  Status UpdateRevocationList(RevocationList list);

  // Use a persistent replay store instead of the in-memory one (CLI). The
  // journal must outlive the verifier.
  void UseReplayJournal(ReplayJournal* journal);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::code

#endif  // CITYCODE_CODE_VERIFIER_H_
