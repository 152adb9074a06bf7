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
  // curve is read as an SM2 key. invalid_argument for anything else,
  // including other curves and algorithms.
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> FromSpkiDer(ByteView der);
  // Ed25519: the 32-byte public key (COSE OKP "x").
  static Result<PublicKey> FromEd25519(ByteView x);
  // P-256 or SM2 curve point from its 32-byte affine coordinates (COSE EC2
  // "x", "y"); invalid_argument if the point is not on the curve.
  static Result<PublicKey> FromEcPoint(Algorithm alg, ByteView x, ByteView y);

  Algorithm algorithm() const;
  // SubjectPublicKeyInfo DER and PEM.
  const Bytes& spki_der() const;
  std::string ToPem() const;
  KeyId key_id() const;
  // Ed25519: the 32-byte key. EC: the 32-byte x coordinate.
  Bytes x() const;
  // EC: the 32-byte y coordinate. Ed25519: empty.
  Bytes y() const;

  // True exactly when `signature` (raw, 64 bytes) is a valid signature of
  // `message`. `sm2_user_id` is used only by SM2 keys.
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
  // "EC PRIVATE KEY" form. A key on the SM2 curve is read as an SM2 key.
  static Result<PrivateKey> FromPem(std::string_view pem);
  // Ed25519 from its 32-byte seed (RFC 8032 secret key).
  static Result<PrivateKey> FromEd25519Seed(ByteView seed);
  // P-256 or SM2 from the 32-byte private scalar.
  static Result<PrivateKey> FromEcScalar(Algorithm alg, ByteView d);

  Algorithm algorithm() const;
  const PublicKey& public_key() const;
  // PKCS#8 PEM. The caller stores it with mode 0600.
  std::string ToPem() const;

  // Raw 64-byte signature. Ed25519 is deterministic; ECDSA and SM2 use a
  // fresh random nonce. Fails only on resource exhaustion.
  Result<Bytes> Sign(ByteView message,
                     std::string_view sm2_user_id = kSm2DefaultUserId) const;

 private:
  explicit PrivateKey(std::shared_ptr<const internal::PrivateKeyRep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const internal::PrivateKeyRep> rep_;
};

// SM2 Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2
// §5.5) for an SM2 key; invalid_argument for other keys.
Result<Bytes> Sm2Za(const PublicKey& key, std::string_view user_id = kSm2DefaultUserId);

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_KEY_H_
