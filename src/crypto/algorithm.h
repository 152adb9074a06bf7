// The signature algorithms citycode supports, and their names in each format.
#ifndef CITYCODE_CRYPTO_ALGORITHM_H_
#define CITYCODE_CRYPTO_ALGORITHM_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace citycode::crypto {

enum class Algorithm {
  kEd25519,  // EdDSA on edwards25519 (RFC 8032); the default
  kEs256,    // ECDSA on P-256 with SHA-256
  kSm2,      // SM2 with SM3 (GB/T 32918), distinguishing ID kSm2DefaultUserId
};

// The distinguishing ID of GM/T 0009 that every SM2 signature here uses.
inline constexpr std::string_view kSm2DefaultUserId = "1234567812345678";

// Every supported signature is 64 raw bytes: Ed25519 R||S, ECDSA and SM2 r||s.
inline constexpr std::size_t kSignatureSize = 64;

// CLI name: "ed25519", "es256", "sm2".
std::string_view CliName(Algorithm alg);
Result<Algorithm> AlgorithmFromCliName(std::string_view name);

// COSE "alg" (RFC 9053; SM2 a private-use value): -8, -7, -65537.
std::int64_t CoseAlgorithm(Algorithm alg);
Result<Algorithm> AlgorithmFromCose(std::int64_t alg);

// JWS "alg" (RFC 7518 / 8037): "EdDSA", "ES256", "SM2SM3".
std::string_view JoseAlgorithm(Algorithm alg);
Result<Algorithm> AlgorithmFromJose(std::string_view alg);

// The trust list's "alg" of a key: "EdDSA", "ES256", "SM2".
std::string_view TrustListAlgorithm(Algorithm alg);
Result<Algorithm> AlgorithmFromTrustList(std::string_view alg);

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_ALGORITHM_H_
