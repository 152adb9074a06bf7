// What the platform's signed lists share (trust list, revocation list,
// access allow-lists): the flattened JWS around a JSON payload, the
// payload's header fields, and arrays of truncated SHA-256 hashes.
#ifndef CITYCODE_CODE_INTERNAL_SIGNED_LIST_H_
#define CITYCODE_CODE_INTERNAL_SIGNED_LIST_H_

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code::internal {

using Hash128 = std::array<std::uint8_t, 16>;

// The JWS (JSON text) of `payload` signed by `key`.
Result<std::string> SignJws(const nlohmann::json& payload, const crypto::PrivateKey& key);
// The verified payload: unauthenticated when the signature does not verify
// with `key` or the alg is not its; invalid_argument when malformed or
// larger than kMaxListBytes.
Result<nlohmann::json> VerifyJws(std::string_view text, const crypto::PublicKey& key);

Result<std::string> GetString(const nlohmann::json& object, const char* field);
Result<Instant> GetTime(const nlohmann::json& object, const char* field);
// type (must be `type`), version, issued_at, expires_at (after issued_at).
Status ParseHeaderFields(const nlohmann::json& payload, std::string_view type,
                         std::uint64_t& version, Instant& issued_at, Instant& expires_at);

// An array of 32-hex-digit hashes, sorted and without duplicates.
Result<std::vector<Hash128>> ParseHashes(const nlohmann::json& array);
nlohmann::json HashArray(const std::vector<Hash128>& sorted_hashes);

}  // namespace citycode::code::internal

#endif  // CITYCODE_CODE_INTERNAL_SIGNED_LIST_H_
