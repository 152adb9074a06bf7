// COSE_Sign1 (RFC 9052 §4.2), the signed envelope of both CC1 levels.
#ifndef CITYCODE_CODE_COSE_H_
#define CITYCODE_CODE_COSE_H_

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code {

inline constexpr std::uint64_t kCoseSign1Tag = 18;

// A decoded COSE_Sign1. The byte fields hold copies of the message's parts.
struct CoseSign1 {
  bool tagged = false;    // carried tag 18
  Bytes protected_bytes;  // the protected header bstr's content, as sent
  // Protected "alg" (label 1) when it is an integer. A text alg or none
  // leaves it empty; verification then fails.
  std::optional<std::int64_t> alg;
  // "kid" (label 4) from the protected header, else from the unprotected
  // header; empty if neither has one.
  Bytes kid;
  Bytes payload;    // attached payload (detached payloads are refused)
  Bytes signature;  // raw signature bytes
};

struct CoseOptions {
  std::size_t max_message_bytes = 8 * 1024;
  bool require_tag = true;  // CC1 always tags; third-party vectors may not
};

// Parses a COSE_Sign1: [protected: bstr, unprotected: map, payload: bstr,
// signature: bstr], optionally under tag 18. Strict CBOR (internal/cbor.h);
// the protected bstr must be empty or hold a map. invalid_argument otherwise,
// including for any other tag, a kid that is not a bstr, a protected alg that
// is neither int nor tstr, and a crit (label 2) header, as no extension is
// understood. Only the signature's presence is checked here, not its size.
Result<CoseSign1> DecodeCoseSign1(ByteView message, const CoseOptions& options = {});

// Sig_structure = ["Signature1", body_protected, external_aad, payload]
// (RFC 9052 §4.4). An empty protected map (A0) contributes a zero-length
// bstr, as §3 says.
Bytes SigStructure(ByteView protected_bytes, ByteView external_aad, ByteView payload);

// True when `alg` names `key`'s algorithm and the signature over the
// Sig_structure verifies with `key`.
bool VerifyCoseSign1(const CoseSign1& message, const crypto::PublicKey& key,
                     ByteView external_aad = {});

// Signs `payload` into a tagged COSE_Sign1 with protected header
// {1: alg of key, ? 4: kid} (deterministic CBOR) and an empty unprotected map.
Result<Bytes> SignCoseSign1(const crypto::PrivateKey& key, ByteView payload,
                            std::optional<ByteView> kid = std::nullopt);

}  // namespace citycode::code

#endif  // CITYCODE_CODE_COSE_H_
