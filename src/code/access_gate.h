// An offline access gate (scenes/access): decides from the code (or a
// printed visitor pass), through the offline verifier, and its site's
// signed allow-list, with no network. The
// gate refreshes the list when it can; without one, with one past its
// expiry, or with a clock behind the list's issue time it admits nobody.
//
// Thread safety: all methods may be called concurrently.
#ifndef CITYCODE_CODE_ACCESS_GATE_H_
#define CITYCODE_CODE_ACCESS_GATE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "code/allow_list.h"
#include "code/verifier.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code {

struct GateDecision {
  bool admitted = false;
  // "admitted", a verifier reason ("credential_revoked" …), or the gate's
  // own: "no_allow_list", "allow_list_expired", "clock_behind",
  // "not_on_allow_list", "entries_used" (a visitor's entries at this gate),
  // "pass_other_site" (a printed pass of another site).
  std::string_view reason;
  // The verifier's result for a code; for a printed pass (CV1) only its id
  // in credential_id.
  VerificationResult code;
};

class AccessGate {
 public:
  // `verifier`, `clock` and `root` must outlive the gate; `verifier` is
  // the gate's own (it keeps the replay record of what this gate saw).
  AccessGate(const Verifier& verifier, const Clock& clock, const crypto::PublicKey& root,
             std::string site);

  // A downloaded list. unauthenticated / invalid_argument as
  // VerifyAllowList; failed_precondition "list_other_site" for another
  // site's list, "list_rolled_back" for a version below the one held.
  Status Load(std::string_view jws);
  // A downloaded delta: as Load, and "delta_base_mismatch" when it does not
  // start at the version held (download the full list then).
  Status Apply(std::string_view delta_jws);
  std::uint64_t version() const;  // 0: none held

  // Decides on a code or a printed card (Verifier::VerifyCodeOrCard), and
  // counts the passage against an entry that limits them.
  GateDecision Decide(std::string_view qr_text);

 private:
  std::shared_ptr<const AllowList> List() const;
  Status Replace(AllowList list);
  void DecidePass(std::string_view text, const AllowList& list, Instant now,
                  GateDecision& decision);
  // The list's word on an id the verifier accepted: admitted, or why not.
  void Admit(const AllowList& list, const CredentialId& id, Instant now, GateDecision& decision);
  // Whether one of `entries` still admits, counting the passage.
  bool Count(const std::vector<const AllowEntry*>& entries);

  const Verifier& verifier_;
  const Clock& clock_;
  const crypto::PublicKey& root_;
  const std::string site_;
  mutable std::mutex mutex_;
  std::shared_ptr<const AllowList> list_;
  std::map<AllowEntry, std::uint32_t> uses_;  // passages through entries that limit them
};

}  // namespace citycode::code

#endif  // CITYCODE_CODE_ACCESS_GATE_H_
