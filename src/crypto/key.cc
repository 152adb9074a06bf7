#include "crypto/key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <climits>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "crypto/hash.h"
#include "crypto/internal/ec.h"
#include "crypto/internal/openssl.h"
#include "crypto/random.h"

namespace citycode::crypto {
namespace internal {

// What a public key is, in the forms the hot paths need, built once.
struct PublicKeyRep {
  Algorithm alg;
  Bytes spki_der;
  Bytes x;  // Ed25519: the key itself; EC: affine x
  Bytes y;  // EC: affine y; Ed25519: empty
  // EC and SM2 only, of OpenSSL type EC or SM2. Shared read-only by every
  // verifying thread; OpenSSL 3 allows concurrent operations on one key.
  // Ed25519 keys have none: libsodium verifies from `x` directly.
  EvpPkeyPtr pkey;
};

struct PrivateKeyRep {
  explicit PrivateKeyRep(PublicKey pub) : public_key(std::move(pub)) {}
  PrivateKeyRep(const PrivateKeyRep&) = delete;
  PrivateKeyRep& operator=(const PrivateKeyRep&) = delete;
  ~PrivateKeyRep() { sodium_memzero(ed25519_sk.data(), ed25519_sk.size()); }

  PublicKey public_key;
  // Ed25519: libsodium's secret key, seed || public key.
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> ed25519_sk{};
  // EC and SM2: the key pair, of OpenSSL type EC or SM2.
  EvpPkeyPtr pkey;
};

}  // namespace internal

namespace {

using internal::ClearOpenSslErrors;
using internal::EcCurve;
using internal::EvpPkeyPtr;
using internal::OpenSslError;

// The Ed25519 SubjectPublicKeyInfo up to the key: SEQUENCE { SEQUENCE {
// id-Ed25519 }, BIT STRING (0 unused bits) } (RFC 8410 §4).
constexpr std::array<std::uint8_t, 12> kEd25519SpkiPrefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                             0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

// GB/T 32918.2 encodes the bit length of the user id in two bytes.
constexpr std::size_t kMaxSm2UserIdSize = 0xffff / 8;

// libsodium asks for sodium_init() before use; it is idempotent and
// thread-safe. Called from the Ed25519 factories, so that every key that
// reaches libsodium was made after it.
void EnsureSodium() { [[maybe_unused]] static const int ready = sodium_init(); }

bool StartsWith(ByteView data, ByteView prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
}

std::string Truncated(std::string_view text) {
  std::string out(text.substr(0, 40));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

// A PEM block's label and DER body.
struct PemBlock {
  std::string label;
  Bytes der;
};

// The first PEM block in `pem` whose label is not in `skip`.
Result<PemBlock> ReadPemBlock(std::string_view pem, std::initializer_list<std::string_view> skip) {
  if (pem.size() > INT_MAX) return InvalidArgument("PEM text too large");
  internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError(StatusCode::kInternal, "cannot read PEM");
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
      return OpenSslError(StatusCode::kInvalidArgument, "no readable PEM key block");
    }
    PemBlock block{name, Bytes(data, data + len)};
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(data, static_cast<std::size_t>(len));  // may be a private key
    if (std::find(skip.begin(), skip.end(), block.label) == skip.end()) return block;
    sodium_memzero(block.der.data(), block.der.size());
  }
}

std::string ToPemText(const char* label, ByteView der) {
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio(bio.get(), label, "", der.data(), static_cast<long>(der.size())) <= 0) {
    ClearOpenSslErrors();
    throw std::bad_alloc();
  }
  return internal::BioContents(bio.get());
}

Bytes Concat(ByteView a, ByteView b) {
  Bytes out;
  out.reserve(a.size() + b.size());
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// x and y (32 bytes each) of an OpenSSL EC key; false if it has none.
bool EcCoordinates(const EVP_PKEY* pkey, Bytes& x, Bytes& y) {
  BIGNUM* bx = nullptr;
  BIGNUM* by = nullptr;
  const bool got = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
                   EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1;
  internal::BnPtr owned_x(bx), owned_y(by);
  if (!got) {
    ClearOpenSslErrors();
    return false;
  }
  return internal::BnToPadded(bx, internal::kEcFieldSize, x) &&
         internal::BnToPadded(by, internal::kEcFieldSize, y);
}

// Any public key OpenSSL could parse, as one of ours.
Result<PublicKey> PublicFromEvp(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> x;
    std::size_t size = x.size();
    if (EVP_PKEY_get_raw_public_key(pkey, x.data(), &size) != 1 || size != x.size()) {
      return OpenSslError(StatusCode::kInvalidArgument, "malformed Ed25519 public key");
    }
    return PublicKey::FromEd25519(x);
  }
  if (EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_is_a(pkey, "SM2")) {
    CITYCODE_ASSIGN_OR_RETURN(const Algorithm alg, internal::EcAlgorithmOf(pkey));
    Bytes x, y;
    if (!EcCoordinates(pkey, x, y)) return InvalidArgument("EC key without a public point");
    // Re-importing also turns an EC key on the SM2 curve into an SM2 key.
    return PublicKey::FromEcPoint(alg, x, y);
  }
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return InvalidArgument(std::string("unsupported key algorithm ") +
                         (type != nullptr ? type : "(unknown)") +
                         " (citycode supports Ed25519, P-256 and SM2)");
}

// Any private key OpenSSL could parse, as one of ours.
Result<PrivateKey> PrivateFromEvp(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    std::array<std::uint8_t, crypto_sign_SEEDBYTES> seed;
    std::size_t size = seed.size();
    if (EVP_PKEY_get_raw_private_key(pkey, seed.data(), &size) != 1 || size != seed.size()) {
      return OpenSslError(StatusCode::kInvalidArgument, "malformed Ed25519 private key");
    }
    Result<PrivateKey> key = PrivateKey::FromEd25519Seed(seed);
    sodium_memzero(seed.data(), seed.size());
    return key;
  }
  if (EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_is_a(pkey, "SM2")) {
    CITYCODE_ASSIGN_OR_RETURN(const Algorithm alg, internal::EcAlgorithmOf(pkey));
    BIGNUM* priv = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1) {
      return OpenSslError(StatusCode::kInvalidArgument, "EC key without a private scalar");
    }
    internal::BnPtr owned_priv(priv);
    Bytes d;
    if (!internal::BnToPadded(priv, internal::kEcFieldSize, d)) {
      return InvalidArgument("EC private scalar out of range");
    }
    Result<PrivateKey> key = PrivateKey::FromEcScalar(alg, d);
    sodium_memzero(d.data(), d.size());
    if (!key.ok()) return key;
    // A key file whose stored public point disagrees with its scalar is
    // corrupt; signing with it would make signatures nobody can check.
    Bytes x, y;
    if (EcCoordinates(pkey, x, y) && (x != key->public_key().x() || y != key->public_key().y())) {
      return InvalidArgument("EC private key does not match its public key");
    }
    return key;
  }
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return InvalidArgument(std::string("unsupported key algorithm ") +
                         (type != nullptr ? type : "(unknown)") +
                         " (citycode supports Ed25519, P-256 and SM2)");
}

// Sets up `ctx` for SM2 with `user_id` on `pctx`, or plain for ECDSA.
// OpenSSL 3.0 hashes an empty distinguishing ID unless one is set, so it is
// always set for SM2, even when empty.
bool InitSm2Id(Algorithm alg, EVP_PKEY* pkey, std::string_view user_id, EVP_MD_CTX* ctx,
               internal::EvpPkeyCtxPtr& pctx) {
  if (alg != Algorithm::kSm2) return true;
  if (user_id.size() > kMaxSm2UserIdSize) return false;
  pctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (pctx == nullptr || EVP_PKEY_CTX_set1_id(pctx.get(), user_id.empty() ? "" : user_id.data(),
                                              static_cast<int>(user_id.size())) <= 0) {
    return false;
  }
  // The MD_CTX borrows pctx; pctx outlives it (declared first by callers).
  EVP_MD_CTX_set_pkey_ctx(ctx, pctx.get());
  return true;
}

const EVP_MD* DigestFor(Algorithm alg) {
  return alg == Algorithm::kSm2 ? internal::Sm3Md() : internal::Sha256Md();
}

bool VerifyEc(const internal::PublicKeyRep& rep, ByteView message, ByteView signature,
              std::string_view user_id) {
  Bytes der;
  if (!internal::EcdsaRawToDer(signature, der)) return false;
  internal::EvpPkeyCtxPtr pctx;
  internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx != nullptr && InitSm2Id(rep.alg, rep.pkey.get(), user_id, ctx.get(), pctx) &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(rep.alg), nullptr, rep.pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) == 1;
  // A bad signature leaves OpenSSL errors; it is an answer, not an error.
  if (!ok) ClearOpenSslErrors();
  return ok;
}

Result<Bytes> SignEc(Algorithm alg, EVP_PKEY* pkey, ByteView message, std::string_view user_id) {
  if (alg == Algorithm::kSm2 && user_id.size() > kMaxSm2UserIdSize) {
    return InvalidArgument("SM2 user id longer than 8191 bytes");
  }
  internal::EvpPkeyCtxPtr pctx;
  internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  // One call into a buffer of the largest DER signature for the key
  // (EVP_PKEY_get_size: 72 bytes on these curves).
  Bytes der(static_cast<std::size_t>(std::max(EVP_PKEY_get_size(pkey), 0)));
  std::size_t der_len = der.size();
  if (ctx == nullptr || !InitSm2Id(alg, pkey, user_id, ctx.get(), pctx) ||
      EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(alg), nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), der.data(), &der_len, message.data(), message.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "signing failed");
  }
  der.resize(der_len);
  Bytes raw;
  if (!internal::EcdsaDerToRaw(der, raw)) return Internal("OpenSSL made a malformed signature");
  return raw;
}

}  // namespace

// ---------------------------------------------------------------------------
// PublicKey

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  CITYCODE_ASSIGN_OR_RETURN(PemBlock block, ReadPemBlock(pem, {}));
  if (block.label != "PUBLIC KEY") {
    return InvalidArgument("expected a PUBLIC KEY PEM block, found " + Truncated(block.label));
  }
  return FromSpkiDer(block.der);
}

Result<PublicKey> PublicKey::FromSpkiDer(ByteView der) {
  // The encodings citycode itself writes are recognised by their fixed
  // prefix and skip a round through OpenSSL's decoders; the factories below
  // still validate the key.
  if (der.size() == kEd25519SpkiPrefix.size() + crypto_sign_PUBLICKEYBYTES &&
      StartsWith(der, kEd25519SpkiPrefix)) {
    return FromEd25519(der.subspan(kEd25519SpkiPrefix.size()));
  }
  for (const Algorithm alg : {Algorithm::kEs256, Algorithm::kSm2}) {
    const EcCurve& curve = *internal::CurveFor(alg);
    if (der.size() == curve.spki_prefix.size() + internal::kEcPointSize &&
        StartsWith(der, curve.spki_prefix) && der[curve.spki_prefix.size()] == 0x04) {
      const ByteView point = der.subspan(curve.spki_prefix.size() + 1);
      return FromEcPoint(alg, point.first(internal::kEcFieldSize),
                         point.subspan(internal::kEcFieldSize));
    }
  }
  // Anything else (compressed points, other algorithms and curves) goes
  // through OpenSSL, which also names what it found.
  const unsigned char* p = der.data();
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr) {
    return OpenSslError(StatusCode::kInvalidArgument, "not a SubjectPublicKeyInfo DER");
  }
  if (p != der.data() + der.size()) {
    return InvalidArgument("trailing bytes after a SubjectPublicKeyInfo DER");
  }
  return PublicFromEvp(pkey.get());
}

Result<PublicKey> PublicKey::FromEd25519(ByteView x) {
  if (x.size() != crypto_sign_PUBLICKEYBYTES) {
    return InvalidArgument("an Ed25519 public key has 32 bytes");
  }
  EnsureSodium();
  // Deliberately no OpenSSL key here: a gate builds one device key per
  // scanned code, and libsodium verifies from the raw bytes. Points that are
  // not canonical or of small order are not refused here but by Verify,
  // which never accepts a signature under them.
  auto rep = std::make_shared<internal::PublicKeyRep>();
  rep->alg = Algorithm::kEd25519;
  rep->spki_der = Concat(kEd25519SpkiPrefix, x);
  rep->x.assign(x.begin(), x.end());
  return PublicKey(std::move(rep));
}

Result<PublicKey> PublicKey::FromEcPoint(Algorithm alg, ByteView x, ByteView y) {
  const EcCurve* curve = internal::CurveFor(alg);
  if (curve == nullptr) return InvalidArgument("FromEcPoint needs ES256 or SM2");
  if (x.size() != internal::kEcFieldSize || y.size() != internal::kEcFieldSize) {
    return InvalidArgument("EC coordinates must have 32 bytes each");
  }
  Bytes point;
  point.reserve(internal::kEcPointSize);
  point.push_back(0x04);
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  CITYCODE_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, internal::MakeEcKey(*curve, point, nullptr));
  auto rep = std::make_shared<internal::PublicKeyRep>();
  rep->alg = alg;
  rep->spki_der = Concat(curve->spki_prefix, point);
  rep->x.assign(x.begin(), x.end());
  rep->y.assign(y.begin(), y.end());
  rep->pkey = std::move(pkey);
  return PublicKey(std::move(rep));
}

Algorithm PublicKey::algorithm() const { return rep_->alg; }

const Bytes& PublicKey::spki_der() const { return rep_->spki_der; }

std::string PublicKey::ToPem() const { return ToPemText("PUBLIC KEY", rep_->spki_der); }

KeyId PublicKey::key_id() const {
  const Digest digest = Sha256(rep_->spki_der);
  KeyId id;
  std::copy_n(digest.begin(), id.size(), id.begin());
  return id;
}

Bytes PublicKey::x() const { return rep_->x; }

Bytes PublicKey::y() const { return rep_->y; }

bool PublicKey::Verify(ByteView message, ByteView signature, std::string_view sm2_user_id) const {
  if (signature.size() != kSignatureSize) return false;
  if (rep_->alg == Algorithm::kEd25519) {
    // libsodium 1.0.18 is stricter than RFC 8032's cofactorless check: it
    // refuses S >= L, a small-order R or A and a non-canonical A (and a
    // non-canonical R never equals the recomputed one). Its answer matches
    // the expected result of all 151 Wycheproof Ed25519 cases, and OpenSSL's
    // (ed25519_vectors_test.cc), so no OpenSSL fallback is needed; what only
    // libsodium refuses, an honest signer never produces.
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                       rep_->x.data()) == 0;
  }
  return VerifyEc(*rep_, message, signature, sm2_user_id);
}

// ---------------------------------------------------------------------------
// PrivateKey

Result<PrivateKey> PrivateKey::Generate(Algorithm alg) {
  if (alg == Algorithm::kEd25519) {
    std::array<std::uint8_t, crypto_sign_SEEDBYTES> seed;
    FillRandom(seed);
    Result<PrivateKey> key = FromEd25519Seed(seed);
    sodium_memzero(seed.data(), seed.size());
    return key;
  }
  const EVP_PKEY* parameters = internal::CurveParameters(*internal::CurveFor(alg));
  internal::EvpPkeyCtxPtr ctx(
      parameters == nullptr
          ? nullptr
          : EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(parameters), nullptr));
  EVP_PKEY* generated = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_generate(ctx.get(), &generated) != 1) {
    return OpenSslError(StatusCode::kInternal, "key generation failed");
  }
  EvpPkeyPtr pkey(generated);
  return PrivateFromEvp(pkey.get());
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  // `openssl ecparam -genkey` writes an EC PARAMETERS block first.
  CITYCODE_ASSIGN_OR_RETURN(PemBlock block, ReadPemBlock(pem, {"EC PARAMETERS"}));
  struct Wipe {
    Bytes& der;
    ~Wipe() { sodium_memzero(der.data(), der.size()); }
  } wipe{block.der};
  const unsigned char* p = block.der.data();
  const long len = static_cast<long>(block.der.size());
  EvpPkeyPtr pkey;
  if (block.label == "PRIVATE KEY") {
    using P8Ptr = internal::OpenSslPtr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;
    P8Ptr p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len));
    if (p8 != nullptr) pkey.reset(EVP_PKCS82PKEY(p8.get()));
  } else if (block.label == "EC PRIVATE KEY") {
    pkey.reset(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, len));
  } else if (block.label == "ENCRYPTED PRIVATE KEY") {
    return InvalidArgument("encrypted private keys are not supported");
  } else {
    return InvalidArgument("expected a PRIVATE KEY PEM block, found " + Truncated(block.label));
  }
  if (pkey == nullptr) {
    return OpenSslError(StatusCode::kInvalidArgument, "malformed " + block.label);
  }
  if (p != block.der.data() + block.der.size()) {
    return InvalidArgument("trailing bytes after " + block.label);
  }
  return PrivateFromEvp(pkey.get());
}

Result<PrivateKey> PrivateKey::FromEd25519Seed(ByteView seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return InvalidArgument("an Ed25519 seed has 32 bytes");
  }
  EnsureSodium();
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk;
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sk;
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  Result<PublicKey> pub = PublicKey::FromEd25519(pk);
  if (!pub.ok()) {
    sodium_memzero(sk.data(), sk.size());
    return pub.status();
  }
  auto rep = std::make_shared<internal::PrivateKeyRep>(std::move(pub).value());
  rep->ed25519_sk = sk;
  sodium_memzero(sk.data(), sk.size());
  return PrivateKey(std::move(rep));
}

Result<PrivateKey> PrivateKey::FromEcScalar(Algorithm alg, ByteView d) {
  const EcCurve* curve = internal::CurveFor(alg);
  if (curve == nullptr) return InvalidArgument("FromEcScalar needs ES256 or SM2");
  if (d.size() != internal::kEcFieldSize) {
    return InvalidArgument("an EC private scalar has 32 bytes");
  }
  internal::EcGroupPtr group(EC_GROUP_new_by_curve_name(curve->nid));
  internal::BnCtxPtr bn_ctx(BN_CTX_secure_new());
  internal::BnPtr scalar(BN_secure_new());
  internal::EcPointPtr point(group != nullptr ? EC_POINT_new(group.get()) : nullptr);
  internal::BnPtr x(BN_new()), y(BN_new());
  if (group == nullptr || bn_ctx == nullptr || scalar == nullptr || point == nullptr ||
      x == nullptr || y == nullptr ||
      BN_bin2bn(d.data(), static_cast<int>(d.size()), scalar.get()) == nullptr) {
    return OpenSslError(StatusCode::kInternal, "cannot load an EC private key");
  }
  // d must be in [1, n-1]; SM2 also needs 1+d invertible mod n, so d != n-1
  // (GB/T 32918.1 §6.1).
  internal::BnPtr limit(BN_dup(EC_GROUP_get0_order(group.get())));
  if (limit == nullptr || BN_sub_word(limit.get(), alg == Algorithm::kSm2 ? 2 : 1) != 1) {
    return OpenSslError(StatusCode::kInternal, "cannot load an EC private key");
  }
  if (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), limit.get()) > 0) {
    return InvalidArgument("EC private scalar out of range");
  }
  Bytes xb, yb;
  if (EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(group.get(), point.get(), x.get(), y.get(), bn_ctx.get()) !=
          1 ||
      !internal::BnToPadded(x.get(), internal::kEcFieldSize, xb) ||
      !internal::BnToPadded(y.get(), internal::kEcFieldSize, yb)) {
    return OpenSslError(StatusCode::kInternal, "cannot derive an EC public key");
  }
  CITYCODE_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEcPoint(alg, xb, yb));
  CITYCODE_ASSIGN_OR_RETURN(
      EvpPkeyPtr pkey,
      internal::MakeEcKey(*curve, ByteView(pub.spki_der()).subspan(curve->spki_prefix.size()),
                          scalar.get()));
  auto rep = std::make_shared<internal::PrivateKeyRep>(std::move(pub));
  rep->pkey = std::move(pkey);
  return PrivateKey(std::move(rep));
}

Algorithm PrivateKey::algorithm() const { return rep_->public_key.algorithm(); }

const PublicKey& PrivateKey::public_key() const { return rep_->public_key; }

std::string PrivateKey::ToPem() const {
  EvpPkeyPtr ed_key;
  const EVP_PKEY* pkey = rep_->pkey.get();
  if (algorithm() == Algorithm::kEd25519) {
    ed_key.reset(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr,
                                                 rep_->ed25519_sk.data(), crypto_sign_SEEDBYTES));
    pkey = ed_key.get();
  }
  // Secure-heap memory BIO: the PEM text is wiped when the BIO is freed.
  internal::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (pkey == nullptr || bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ClearOpenSslErrors();
    throw std::bad_alloc();
  }
  return internal::BioContents(bio.get());
}

Result<Bytes> PrivateKey::Sign(ByteView message, std::string_view sm2_user_id) const {
  if (algorithm() == Algorithm::kEd25519) {
    Bytes signature(crypto_sign_BYTES);
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                         rep_->ed25519_sk.data());
    return signature;
  }
  return SignEc(algorithm(), rep_->pkey.get(), message, sm2_user_id);
}

// ---------------------------------------------------------------------------

Result<Bytes> Sm2Za(const PublicKey& key, std::string_view user_id) {
  if (key.algorithm() != Algorithm::kSm2) return InvalidArgument("Z_A needs an SM2 key");
  if (user_id.size() > kMaxSm2UserIdSize) {
    return InvalidArgument("SM2 user id longer than 8191 bytes");
  }
  const internal::Sm2CurveParams& curve = internal::Sm2Params();
  const std::size_t bits = user_id.size() * 8;
  Bytes input;
  input.reserve(2 + user_id.size() + 6 * internal::kEcFieldSize);
  input.push_back(static_cast<std::uint8_t>(bits >> 8));
  input.push_back(static_cast<std::uint8_t>(bits));
  input.insert(input.end(), user_id.begin(), user_id.end());
  for (const Bytes* part : {&curve.a, &curve.b, &curve.xg, &curve.yg}) {
    input.insert(input.end(), part->begin(), part->end());
  }
  const Bytes x = key.x();
  const Bytes y = key.y();
  input.insert(input.end(), x.begin(), x.end());
  input.insert(input.end(), y.begin(), y.end());
  const Digest za = Sm3(input);
  return Bytes(za.begin(), za.end());
}

}  // namespace citycode::crypto
