// The signed lists a terminal verifies offline from: the trust list (which
// platform keys sign credentials) and the revocation list (which credentials
// are withdrawn). Both are JSON payloads in a JWS, flattened JSON
// serialization (RFC 7515 §7.2.2), signed by the platform root key, so any
// JOSE library can check them against root.pem.
#ifndef CITYCODE_CODE_TRUST_LIST_H_
#define CITYCODE_CODE_TRUST_LIST_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "code/credential.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code {

// Lists larger than this are refused before parsing.
inline constexpr std::size_t kMaxListBytes = 16 * 1024 * 1024;

struct TrustedKey {
  crypto::PublicKey key;
  Instant not_before{};
  Instant not_after{};
};

struct TrustList {
  std::uint64_t version = 0;
  std::string issuer;  // the CWT iss of credentials signed by these keys
  Instant issued_at{};
  Instant expires_at{};
  std::vector<TrustedKey> keys;
};

// A revocation entry: the first 16 bytes of SHA-256 of the cti, so the
// published list names nobody (as EU DCC does).
using RevocationEntry = std::array<std::uint8_t, 16>;
RevocationEntry RevocationEntryFor(const CredentialId& cti);

struct RevocationList {
  std::uint64_t version = 0;
  Instant issued_at{};
  Instant expires_at{};
  std::vector<RevocationEntry> entries;  // sorted, unique

  bool Contains(const CredentialId& cti) const;
};

// Signs the list with the root key into a flattened JWS (JSON text).
// invalid_argument if the list is inconsistent (expiry before issuance).
Result<std::string> SignTrustList(const TrustList& list, const crypto::PrivateKey& root);
Result<std::string> SignRevocationList(const RevocationList& list, const crypto::PrivateKey& root);

// Verifies the JWS with the root key and parses its payload.
// unauthenticated when the signature does not verify or the header's alg is
// not the root key's; invalid_argument when the text or payload is malformed
// or of the other list type.
Result<TrustList> VerifyTrustList(std::string_view jws, const crypto::PublicKey& root);
Result<RevocationList> VerifyRevocationList(std::string_view jws, const crypto::PublicKey& root);

}  // namespace citycode::code

#endif  // CITYCODE_CODE_TRUST_LIST_H_
