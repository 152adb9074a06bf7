// Standard Webhooks signatures (standardwebhooks.com, spec 1.0).
//
// What is signed: "{webhook-id}.{webhook-timestamp}.{body}", the body as
// sent, byte for byte. The webhook-signature header is a space-separated
// list of "v1,<base64 HMAC-SHA256>" (one per symmetric secret) and
// "v1a,<base64 Ed25519 signature>" (one per signing key); a receiver accepts
// the message when any one of them verifies under a secret or public key it
// trusts, so a sender signs with the old and the new key while a key is
// rotated.
//
// Key forms:
//   whsec_<base64>  a symmetric secret of 24-64 random bytes
//   whsk_<base64>   an Ed25519 secret key: the 32-byte seed (RFC 8032) or
//                   libsodium's 64 bytes (seed ‖ public key, checked)
//   whpk_<base64>   an Ed25519 public key, 32 bytes
//
// All of it is thread-safe (values only).
#ifndef CITYCODE_OUTBOX_SIGNATURE_H_
#define CITYCODE_OUTBOX_SIGNATURE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::outbox {

// Parse the key forms above; invalid_argument (never echoing the key) for
// a wrong prefix, bad base64 or a wrong length.
Result<Bytes> ParseSecret(std::string_view whsec);
Result<crypto::PrivateKey> ParseSigningKey(std::string_view whsk);
Result<crypto::PublicKey> ParsePublicKey(std::string_view whpk);
// The forms of new keys: a fresh 32-byte secret, a fresh seed, and the
// public key that verifies a signing key.
std::string NewSecret();
std::string NewSigningKey();
std::string FormatPublicKey(const crypto::PublicKey& key);

// The signing side: every secret and key of one destination.
struct WebhookSigner {
  std::vector<Bytes> secrets;                    // v1
  std::vector<crypto::PrivateKey> signing_keys;  // v1a (Ed25519)

  bool empty() const { return secrets.empty() && signing_keys.empty(); }
  // The webhook-signature header value for one message.
  std::string Sign(std::string_view id, std::int64_t timestamp, std::string_view body) const;
};

// The receiving side.
struct WebhookVerifier {
  std::vector<Bytes> secrets;
  std::vector<crypto::PublicKey> public_keys;
  std::chrono::seconds tolerance{300};  // |now - webhook-timestamp| allowed

  // ok when `signature_header` holds a signature that verifies under one of
  // the secrets or keys and the timestamp is within the tolerance of `now`.
  // invalid_argument (bad_webhook_headers) for a malformed id or timestamp;
  // unauthenticated (stale_webhook) for a timestamp out of tolerance,
  // (bad_webhook_signature) when no signature verifies. At most 16
  // signatures are looked at.
  Status Verify(std::string_view id, std::string_view timestamp, std::string_view signature_header,
                std::string_view body, Instant now) const;
};

}  // namespace citycode::outbox

#endif  // CITYCODE_OUTBOX_SIGNATURE_H_
