// Standard Webhooks signing and verifying (grammar of the header):
//
//   webhook-signature = signature *( " " signature )
//   signature         = ( "v1," base64(HMAC-SHA256(secret, content)) )
//                     / ( "v1a," base64(Ed25519(key, content)) )
//                     / other-version "," anything        ; ignored
//   content           = webhook-id "." webhook-timestamp "." body
#include "outbox/signature.h"

#include <algorithm>
#include <charconv>

#include "crypto/aead.h"
#include "crypto/random.h"

namespace citycode::outbox {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::string_view kSigningKeyPrefix = "whsk_";
constexpr std::string_view kPublicKeyPrefix = "whpk_";
constexpr std::size_t kMaxSignatures = 16;
constexpr std::size_t kMaxIdLength = 256;

Result<Bytes> DecodePrefixed(std::string_view text, std::string_view prefix,
                             std::string_view what) {
  if (!text.starts_with(prefix)) {
    return InvalidArgument(std::string(what) + " must start with " + std::string(prefix),
                           "bad_webhook_key");
  }
  auto bytes = Base64Decode(text.substr(prefix.size()));
  if (!bytes.ok()) {
    return InvalidArgument(std::string(what) + " is not base64 after " + std::string(prefix),
                           "bad_webhook_key");
  }
  return *bytes;
}

std::string Content(std::string_view id, std::string_view timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  return content;
}

std::array<std::uint8_t, 32> HmacSha256(ByteView secret, std::string_view content) {
  return crypto::Hmac(crypto::CipherProfile::kAes256Gcm, secret, AsBytes(content));
}

// A webhook-id is ours or a sender's; a '.' in it would let one content
// pass for another.
bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::vector<std::string_view> SplitSpaces(std::string_view text, std::size_t max) {
  std::vector<std::string_view> parts;
  while (!text.empty() && parts.size() < max) {
    const std::size_t space = text.find(' ');
    std::string_view part = text.substr(0, space);
    if (!part.empty()) parts.push_back(part);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return parts;
}

bool VerifiesOne(const WebhookVerifier& verifier, std::string_view signature,
                 std::string_view content) {
  const std::size_t comma = signature.find(',');
  if (comma == std::string_view::npos) return false;
  const std::string_view version = signature.substr(0, comma);
  auto raw = Base64Decode(signature.substr(comma + 1));
  if (!raw.ok()) return false;
  if (version == "v1") {
    return std::any_of(verifier.secrets.begin(), verifier.secrets.end(), [&](const Bytes& secret) {
      return ConstantTimeEqual(HmacSha256(secret, content), *raw);
    });
  }
  if (version == "v1a") {
    return std::any_of(
        verifier.public_keys.begin(), verifier.public_keys.end(),
        [&](const crypto::PublicKey& key) { return key.Verify(AsBytes(content), *raw); });
  }
  return false;  // a version we do not know: another sender's, skipped
}

}  // namespace

Result<Bytes> ParseSecret(std::string_view whsec) {
  CITYCODE_ASSIGN_OR_RETURN(Bytes secret, DecodePrefixed(whsec, kSecretPrefix, "a webhook secret"));
  if (secret.size() < 24 || secret.size() > 64) {
    return InvalidArgument("a webhook secret must hold 24-64 bytes", "bad_webhook_key");
  }
  return secret;
}

Result<crypto::PrivateKey> ParseSigningKey(std::string_view whsk) {
  CITYCODE_ASSIGN_OR_RETURN(Bytes raw,
                            DecodePrefixed(whsk, kSigningKeyPrefix, "a webhook signing key"));
  if (raw.size() != 32 && raw.size() != 64) {
    return InvalidArgument("a webhook signing key must hold 32 or 64 bytes", "bad_webhook_key");
  }
  auto key = crypto::PrivateKey::FromEd25519Seed(ByteView(raw).first(32));
  if (!key.ok()) return InvalidArgument("a webhook signing key is not Ed25519", "bad_webhook_key");
  if (raw.size() == 64 && key->public_key().x() != Bytes(raw.begin() + 32, raw.end())) {
    return InvalidArgument("a webhook signing key's public half does not match its seed",
                           "bad_webhook_key");
  }
  return *key;
}

Result<crypto::PublicKey> ParsePublicKey(std::string_view whpk) {
  CITYCODE_ASSIGN_OR_RETURN(Bytes raw,
                            DecodePrefixed(whpk, kPublicKeyPrefix, "a webhook public key"));
  auto key = crypto::PublicKey::FromEd25519(raw);
  if (!key.ok()) {
    return InvalidArgument("a webhook public key must hold 32 bytes", "bad_webhook_key");
  }
  return *key;
}

std::string NewSecret() {
  return std::string(kSecretPrefix) + Base64Encode(crypto::RandomArray<32>());
}

std::string NewSigningKey() {
  return std::string(kSigningKeyPrefix) + Base64Encode(crypto::RandomArray<32>());
}

std::string FormatPublicKey(const crypto::PublicKey& key) {
  return std::string(kPublicKeyPrefix) + Base64Encode(key.x());
}

std::string WebhookSigner::Sign(std::string_view id, std::int64_t timestamp,
                                std::string_view body) const {
  const std::string content = Content(id, std::to_string(timestamp), body);
  std::string header;
  const auto add = [&](std::string_view version, ByteView signature) {
    if (!header.empty()) header += ' ';
    header.append(version).append(",").append(Base64Encode(signature));
  };
  for (const Bytes& secret : secrets) add("v1", HmacSha256(secret, content));
  for (const crypto::PrivateKey& key : signing_keys) {
    auto signature = key.Sign(AsBytes(content));
    // Ed25519 signing fails only when out of memory; the header then lacks
    // this one signature and the others still verify.
    if (signature.ok()) add("v1a", *signature);
  }
  return header;
}

Status WebhookVerifier::Verify(std::string_view id, std::string_view timestamp,
                               std::string_view signature_header, std::string_view body,
                               Instant now) const {
  if (!IsValidId(id)) return InvalidArgument("bad webhook-id", "bad_webhook_headers");
  std::int64_t seconds = 0;
  const auto [end, error] =
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (error != std::errc() || end != timestamp.data() + timestamp.size() || timestamp.empty() ||
      timestamp.size() > 12) {
    return InvalidArgument("bad webhook-timestamp", "bad_webhook_headers");
  }
  const std::int64_t drift = seconds - ToUnixSeconds(now);
  if (drift > tolerance.count() || -drift > tolerance.count()) {
    return Unauthenticated("webhook-timestamp is out of tolerance", "stale_webhook");
  }
  const std::string content = Content(id, timestamp, body);
  for (std::string_view signature : SplitSpaces(signature_header, kMaxSignatures)) {
    if (VerifiesOne(*this, signature, content)) return OkStatus();
  }
  return Unauthenticated("no webhook signature verifies", "bad_webhook_signature");
}

}  // namespace citycode::outbox
