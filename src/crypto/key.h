// Public and private signature keys over OpenSSL 3 (and libsodium for the
// Ed25519 hot path; keys and signatures are the same either way).
//
// Keys are immutable values, cheap to copy (shared representation) and safe
// to use from many threads at once. Signatures are always the raw 64-byte
// form COSE and JOSE use (never DER). SM2 keys are of OpenSSL type SM2 and
// sign with the distinguishing ID kSm2DefaultUserId unless told otherwise.
#ifndef CITYCODE_CRYPTO_KEY_H_
#define CITYCODE_CRYPTO_KEY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/algorithm.h"

namespace citycode::crypto {

// First 8 bytes of SHA-256 of the key's SubjectPublicKeyInfo DER (DESIGN.md).
using KeyId = std::array<std::uint8_t, 8>;

namespace internal {
struct PublicKeyRep;
struct PrivateKeyRep;
}  // namespace internal

class PublicKey {
 public:
  // "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo). A key on the SM2
  // curve is read as an SM2 key, whether OpenSSL labels it EC or SM2.
  // invalid_argument for anything else, including other curves (P-384, ...),
  // explicit curve parameters and other algorithms (RSA, Ed448, ...), with a
  // message naming what was found.
  static Result<PublicKey> FromPem(std::string_view pem);
  // The same from DER, which must be exactly one SubjectPublicKeyInfo. A
  // compressed EC point is accepted; spki_der() (and so key_id()) is then
  // the canonical uncompressed encoding, as for every key made here.
  static Result<PublicKey> FromSpkiDer(ByteView der);
  // Ed25519: the 32-byte public key (COSE OKP "x"); invalid_argument for
  // another length. Cheap (no OpenSSL object): gates call it per scanned
  // code. The point is not decoded here; Verify refuses every signature
  // under a non-canonical or small-order key.
  static Result<PublicKey> FromEd25519(ByteView x);
  // P-256 (alg kEs256) or SM2 curve point from its 32-byte affine
  // coordinates (COSE EC2 "x", "y"); invalid_argument for another algorithm
  // or length, or if the point is not on the curve or a coordinate is not
  // below the field prime.
  static Result<PublicKey> FromEcPoint(Algorithm alg, ByteView x, ByteView y);

  Algorithm algorithm() const;
  // SubjectPublicKeyInfo DER and PEM. ToPem throws std::bad_alloc when out
  // of memory, like any string allocation.
  const Bytes& spki_der() const;
  std::string ToPem() const;
  KeyId key_id() const;
  // Ed25519: the 32-byte key. EC: the 32-byte x coordinate.
  Bytes x() const;
  // EC: the 32-byte y coordinate. Ed25519: empty.
  Bytes y() const;

  // True exactly when `signature` (raw, 64 bytes) is a valid signature of
  // `message`; false for any other length. Ed25519 follows libsodium's
  // rules (RFC 8032 plus refusing small-order and non-canonical points).
  // `sm2_user_id` is used only by SM2 keys (false if longer than 8191
  // bytes). Never fails otherwise: a bad signature is an answer.
  bool Verify(ByteView message, ByteView signature,
              std::string_view sm2_user_id = kSm2DefaultUserId) const;

  friend bool operator==(const PublicKey& a, const PublicKey& b) {
    return a.spki_der() == b.spki_der();
  }

 private:
  explicit PublicKey(std::shared_ptr<const internal::PublicKeyRep> rep) : rep_(std::move(rep)) {}
  friend class PrivateKey;
  std::shared_ptr<const internal::PublicKeyRep> rep_;
};

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(Algorithm alg);
  // PKCS#8 "-----BEGIN PRIVATE KEY-----" (unencrypted); also the SEC1
  // "EC PRIVATE KEY" form, after an optional "EC PARAMETERS" block as
  // `openssl ecparam -genkey` writes it. A key on the SM2 curve is read as
  // an SM2 key. invalid_argument for encrypted keys, unsupported curves and
  // algorithms (as PublicKey::FromPem), and a stored public key that does
  // not match the private scalar.
  static Result<PrivateKey> FromPem(std::string_view pem);
  // Ed25519 from its 32-byte seed (RFC 8032 secret key).
  static Result<PrivateKey> FromEd25519Seed(ByteView seed);
  // P-256 or SM2 from the 32-byte big-endian private scalar d;
  // invalid_argument unless 1 <= d <= n-1 (SM2: n-2, GB/T 32918.1 §6.1).
  static Result<PrivateKey> FromEcScalar(Algorithm alg, ByteView d);

  Algorithm algorithm() const;
  const PublicKey& public_key() const;
  // PKCS#8 PEM. The caller stores it with mode 0600. Throws std::bad_alloc
  // when out of memory.
  std::string ToPem() const;

  // Raw 64-byte signature. Ed25519 is deterministic; ECDSA and SM2 use a
  // fresh random nonce (OpenSSL's; it cannot be injected). Fails only on
  // resource exhaustion, or with invalid_argument for an SM2 user id longer
  // than 8191 bytes.
  Result<Bytes> Sign(ByteView message, std::string_view sm2_user_id = kSm2DefaultUserId) const;

 private:
  explicit PrivateKey(std::shared_ptr<const internal::PrivateKeyRep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const internal::PrivateKeyRep> rep_;
};

// SM2 Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2
// §5.5) for an SM2 key, with the curve parameters OpenSSL has for
// sm2p256v1; invalid_argument for other keys and for a user id longer than
// 8191 bytes (ENTL is a 16-bit bit count).
Result<Bytes> Sm2Za(const PublicKey& key, std::string_view user_id = kSm2DefaultUserId);

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_KEY_H_
