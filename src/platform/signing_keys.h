// The platform's own keys: the root, the signing keys that sign
// credentials, and the signed trust and revocation lists.
#ifndef CITYCODE_PLATFORM_SIGNING_KEYS_H_
#define CITYCODE_PLATFORM_SIGNING_KEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "code/allow_list.h"
#include "code/visitor_pass.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/algorithm.h"
#include "crypto/key.h"
#include "platform/principal.h"

namespace citycode::platform {

struct SigningKeyInfo {
  std::string key_id;  // hex kid
  crypto::Algorithm algorithm = crypto::Algorithm::kEd25519;
  Instant not_before{};
  Instant not_after{};
  bool signing_now = false;
};

struct SignedList {
  std::uint64_t version = 0;
  std::string jws;
  std::string etag;  // "\"trust-7\""
};

class SigningKeys {
 public:
  explicit SigningKeys(PlatformCore& core) : core_(&core) {}

  // Adds a signing key that enters the trust list now and signs after
  // signing_key_lead; the current one stays trusted until its credentials
  // have expired. Returns the new key's info.
  Result<SigningKeyInfo> Rotate();
  Result<std::vector<SigningKeyInfo>> List();
  // Signs a printed visitor pass (code/visitor_pass.h) with the current
  // credential-signing key, so gates check it with the trust list they hold.
  // Fills `issuer` with the platform's issuer id and `issued_at` with now;
  // the caller chooses the rest (the id, which it keeps to count entries;
  // the revocation list names only credentials so far, so a pass cannot yet
  // be revoked here). invalid_argument, reason visitor_pass_window, when the
  // window has already ended or ends more than credential_lifetime from now
  // (a signing key is trusted only that long after it stops signing, so a
  // longer pass could stop verifying before its end); invalid_argument for
  // an all-zero id or a claim IssueVisitorPass refuses; failed_precondition
  // when no signing key is valid now.
  Result<Bytes> SignVisitorPass(code::VisitorPassClaims claims);
  Result<SignedList> TrustList();
  Result<SignedList> RevocationList();
  const crypto::PublicKey& root_public_key() const;
  // An access site's allow-list, or its delta, signed by the root key like
  // the trust list (scenes/access).
  Result<std::string> SignAllowList(const code::AllowList& list) const;
  Result<std::string> SignAllowListDelta(const code::AllowListDelta& delta) const;

 private:
  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_SIGNING_KEYS_H_
