// Authenticated encryption of stored secrets, in the two profiles the city
// may run: AES-256-GCM (default) and, for the national-crypto profile,
// SM4-CTR with HMAC-SM3 encrypt-then-MAC (Debian's OpenSSL 3.0 has no
// SM4-GCM). Both take a 32-byte key; the sealed form names its profile, so a
// reader never guesses.
//
// Sealed layout: profile (1 byte) ‖ nonce ‖ ciphertext ‖ tag
//   AES-256-GCM:       12-byte nonce, 16-byte tag
//   SM4-CTR+HMAC-SM3:  16-byte counter block, 32-byte tag over
//                      profile ‖ nonce ‖ len64(aad) ‖ aad ‖ ciphertext
//                      (SM4 key = key[0..16), MAC key = key[16..32))
#ifndef CITYCODE_CRYPTO_AEAD_H_
#define CITYCODE_CRYPTO_AEAD_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace citycode::crypto {

enum class CipherProfile : std::uint8_t { kAes256Gcm = 1, kSm4CtrHmacSm3 = 2 };

std::string_view CipherProfileName(CipherProfile profile);  // "aes-256-gcm", "sm4-ctr-hmac-sm3"
Result<CipherProfile> CipherProfileFromName(std::string_view name);

inline constexpr std::size_t kAeadKeySize = 32;
using AeadKey = std::array<std::uint8_t, kAeadKeySize>;

// Encrypts `plaintext` under `key` with a fresh random nonce; `aad` is
// authenticated, not stored (the caller binds the record's identity there).
Bytes Seal(CipherProfile profile, const AeadKey& key, ByteView plaintext, ByteView aad);

// Decrypts a Seal output. unauthenticated if anything was changed (or the
// key or aad differ); invalid_argument if it is too short or names an
// unknown profile.
Result<Bytes> Open(const AeadKey& key, ByteView sealed, ByteView aad);

// The profile a sealed value names (invalid_argument if none).
Result<CipherProfile> SealedProfile(ByteView sealed);

// HMAC with SHA-256 or SM3, as the profile's hash (blind indexes, MACs).
std::array<std::uint8_t, 32> Hmac(CipherProfile profile, ByteView key, ByteView data);

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_AEAD_H_
