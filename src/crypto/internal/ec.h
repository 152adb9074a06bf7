// The two short-Weierstrass curves citycode signs on (P-256 for ES256, the
// SM2 curve sm2p256v1) and the conversions between the raw r||s signature
// form and OpenSSL's DER ECDSA-Sig-Value.
#ifndef CITYCODE_CRYPTO_INTERNAL_EC_H_
#define CITYCODE_CRYPTO_INTERNAL_EC_H_

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/algorithm.h"
#include "crypto/internal/openssl.h"

namespace citycode::crypto::internal {

// Bytes of a field element or scalar, and of an uncompressed point 04||x||y.
inline constexpr std::size_t kEcFieldSize = 32;
inline constexpr std::size_t kEcPointSize = 1 + 2 * kEcFieldSize;

struct EcCurve {
  Algorithm alg;
  int nid;
  const char* group_name;  // OSSL_PKEY_PARAM_GROUP_NAME
  const char* key_type;    // OpenSSL key type: "EC", or "SM2" so that the
                           // SM2 signature (not ECDSA) is chosen for the key
  // The SubjectPublicKeyInfo DER up to the uncompressed point: SEQUENCE {
  // SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING (0 unused bits) }.
  // Both curves' prefixes have the same length.
  std::array<std::uint8_t, 26> spki_prefix;
};

// The curve of an EC algorithm; null for Ed25519.
const EcCurve* CurveFor(Algorithm alg);

// The algorithm of an OpenSSL EC or SM2 key from its named curve;
// invalid_argument for other curves and for explicit curve parameters.
Result<Algorithm> EcAlgorithmOf(const EVP_PKEY* pkey);

// An OpenSSL key of `curve.key_type` from the uncompressed point `point`
// (04||x||y) and, for a private key, the scalar `priv`. invalid_argument if
// the point is not a canonical encoding of a point on the curve (OpenSSL's
// import checks x, y < p and the curve equation).
Result<EvpPkeyPtr> MakeEcKey(const EcCurve& curve, ByteView point, const BIGNUM* priv);

// A key holding only the curve's domain parameters (no key pair), owned by
// the calling thread; null if OpenSSL cannot make it.
const EVP_PKEY* CurveParameters(const EcCurve& curve);

// Raw r||s (2 × 32 bytes) to DER. false if `raw` is not 64 bytes.
bool EcdsaRawToDer(ByteView raw, Bytes& der);
// DER to raw r||s; false if the DER does not parse or r or s does not fit in
// 32 bytes (never the case for signatures OpenSSL made on these curves).
bool EcdsaDerToRaw(ByteView der, Bytes& raw);

// The SM2 curve's a, b, xG, yG (32 bytes each, big-endian) as OpenSSL has
// them; computed once.
struct Sm2CurveParams {
  Bytes a, b, xg, yg;
};
const Sm2CurveParams& Sm2Params();

}  // namespace citycode::crypto::internal

#endif  // CITYCODE_CRYPTO_INTERNAL_EC_H_
