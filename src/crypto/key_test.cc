#include "crypto/key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/hash.h"
#include "crypto/internal/ec.h"
#include "crypto/internal/openssl.h"
#include "tests/support/status_matchers.h"

namespace citycode::crypto {
namespace {

using ::citycode::testing::StatusIs;

using internal::BioPtr;
using internal::EvpMdCtxPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

constexpr Algorithm kAll[] = {Algorithm::kEd25519, Algorithm::kEs256, Algorithm::kSm2};

PrivateKey MustGenerate(Algorithm alg) {
  Result<PrivateKey> key = PrivateKey::Generate(alg);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *std::move(key);
}

Bytes MustSign(const PrivateKey& key, std::string_view message) {
  Result<Bytes> signature = key.Sign(AsBytes(message));
  EXPECT_TRUE(signature.ok()) << signature.status().ToString();
  return signature.ok() ? *signature : Bytes();
}

// --- OpenSSL on the other side, to check interoperability ---------------

std::string PemOf(EVP_PKEY* pkey, bool private_key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const int ok =
      private_key ? PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), pkey);
  EXPECT_EQ(ok, 1);
  return internal::BioContents(bio.get());
}

EvpPkeyPtr OpenSslPrivate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// The DER form OpenSSL's EVP API takes, by the library's own converter.
Bytes RawToDer(ByteView raw) {
  Bytes der;
  EXPECT_TRUE(internal::EcdsaRawToDer(raw, der));
  return der;
}

Bytes DerToRaw(ByteView der) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  Bytes out(64);
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.data() + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

const EVP_MD* OpenSslDigestFor(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEd25519: return nullptr;
    case Algorithm::kEs256: return EVP_sha256();
    case Algorithm::kSm2: return EVP_sm3();
  }
  return nullptr;
}

// OpenSSL's verdict on our raw signature (the default SM2 id set explicitly).
bool OpenSslVerify(EVP_PKEY* pkey, Algorithm alg, ByteView message, ByteView raw) {
  const Bytes sig = alg == Algorithm::kEd25519 ? Bytes(raw.begin(), raw.end()) : RawToDer(raw);
  EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (alg == Algorithm::kSm2) {
    EXPECT_GT(EVP_PKEY_CTX_set1_id(pctx.get(), kSm2DefaultUserId.data(),
                                   static_cast<int>(kSm2DefaultUserId.size())),
              0);
  }
  EVP_MD_CTX_set_pkey_ctx(ctx.get(), pctx.get());
  const bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, OpenSslDigestFor(alg), nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
  ctx.reset();
  ERR_clear_error();
  return ok;
}

// OpenSSL's signature, as raw bytes.
Bytes OpenSslSign(EVP_PKEY* pkey, Algorithm alg, ByteView message) {
  EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (alg == Algorithm::kSm2) {
    EXPECT_GT(EVP_PKEY_CTX_set1_id(pctx.get(), kSm2DefaultUserId.data(),
                                   static_cast<int>(kSm2DefaultUserId.size())),
              0);
  }
  EVP_MD_CTX_set_pkey_ctx(ctx.get(), pctx.get());
  Bytes sig(EVP_PKEY_get_size(pkey));
  std::size_t len = sig.size();
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, OpenSslDigestFor(alg), nullptr, pkey), 1);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()), 1);
  sig.resize(len);
  return alg == Algorithm::kEd25519 ? sig : DerToRaw(sig);
}

// --- Generate, sign, verify ---------------------------------------------

TEST(Key, GenerateSignVerifyEachAlgorithm) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const PrivateKey key = MustGenerate(alg);
    EXPECT_EQ(key.algorithm(), alg);
    EXPECT_EQ(key.public_key().algorithm(), alg);
    const Bytes signature = MustSign(key, "presentation");
    EXPECT_EQ(signature.size(), kSignatureSize);
    EXPECT_TRUE(key.public_key().Verify(AsBytes("presentation"), signature));
    EXPECT_EQ(key.public_key().x().size(), 32u);
    EXPECT_EQ(key.public_key().y().size(), alg == Algorithm::kEd25519 ? 0u : 32u);
    // Two generated keys differ.
    EXPECT_NE(MustGenerate(alg).public_key(), key.public_key());
  }
}

TEST(Key, Ed25519IsDeterministicEcdsaAndSm2AreNot) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const PrivateKey key = MustGenerate(alg);
    const Bytes a = MustSign(key, "m");
    const Bytes b = MustSign(key, "m");
    EXPECT_EQ(a == b, alg == Algorithm::kEd25519);
    EXPECT_TRUE(key.public_key().Verify(AsBytes("m"), b));
  }
}

TEST(Key, TamperedMessageOrSignatureFails) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const PrivateKey key = MustGenerate(alg);
    const PublicKey& pub = key.public_key();
    const Bytes signature = MustSign(key, "scene 2, channel 1");
    EXPECT_TRUE(pub.Verify(AsBytes("scene 2, channel 1"), signature));
    EXPECT_FALSE(pub.Verify(AsBytes("scene 3, channel 1"), signature));
    EXPECT_FALSE(pub.Verify(AsBytes("scene 2, channel 1 "), signature));
    EXPECT_FALSE(pub.Verify(AsBytes(""), signature));
    for (const std::size_t i :
         {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{63}}) {
      Bytes bad = signature;
      bad[i] ^= 0x01;
      EXPECT_FALSE(pub.Verify(AsBytes("scene 2, channel 1"), bad)) << "byte " << i;
    }
    // Another key of the same algorithm does not accept it.
    EXPECT_FALSE(MustGenerate(alg).public_key().Verify(AsBytes("scene 2, channel 1"), signature));
  }
}

TEST(Key, WrongLengthSignaturesFail) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const PrivateKey key = MustGenerate(alg);
    const Bytes signature = MustSign(key, "m");
    const PublicKey& pub = key.public_key();
    EXPECT_FALSE(pub.Verify(AsBytes("m"), Bytes()));
    EXPECT_FALSE(pub.Verify(AsBytes("m"), ByteView(signature).first(63)));
    Bytes longer = signature;
    longer.push_back(0);
    EXPECT_FALSE(pub.Verify(AsBytes("m"), longer));
    Bytes doubled = signature;
    doubled.insert(doubled.end(), signature.begin(), signature.end());
    EXPECT_FALSE(pub.Verify(AsBytes("m"), doubled));
    if (alg != Algorithm::kEd25519) {
      // The DER form of a valid signature is refused: only raw r||s counts.
      EXPECT_FALSE(pub.Verify(AsBytes("m"), RawToDer(signature)));
    }
  }
}

TEST(Key, CopiesShareTheKey) {
  const PrivateKey key = MustGenerate(Algorithm::kEs256);
  const PrivateKey copy = key;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.public_key(), key.public_key());
  EXPECT_TRUE(key.public_key().Verify(AsBytes("m"), MustSign(copy, "m")));
}

// --- Interoperability with OpenSSL ----------------------------------------

TEST(Key, SignaturesInteroperateWithOpenSsl) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const PrivateKey key = MustGenerate(alg);
    EvpPkeyPtr ossl = OpenSslPrivate(key.ToPem());
    ASSERT_NE(ossl, nullptr);
    const Bytes message = ToBytes("interop");
    EXPECT_TRUE(OpenSslVerify(ossl.get(), alg, message, MustSign(key, "interop")));
    const Bytes theirs = OpenSslSign(ossl.get(), alg, message);
    EXPECT_TRUE(key.public_key().Verify(message, theirs));
    if (alg == Algorithm::kEd25519) {
      // libsodium and OpenSSL make byte-identical Ed25519 signatures.
      EXPECT_EQ(theirs, MustSign(key, "interop"));
    }
  }
}

TEST(Key, SpkiDerAndKeyIdMatchOpenSsl) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const PrivateKey key = MustGenerate(alg);
    EvpPkeyPtr ossl = OpenSslPrivate(key.ToPem());
    ASSERT_NE(ossl, nullptr);
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(ossl.get(), &der);
    ASSERT_GT(len, 0);
    const Bytes openssl_spki(der, der + len);
    OPENSSL_free(der);
    EXPECT_EQ(key.public_key().spki_der(), openssl_spki);

    // Key id = the first 8 bytes of SHA-256 over the SPKI DER, here hashed
    // by OpenSSL directly.
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    ASSERT_EQ(EVP_Digest(openssl_spki.data(), openssl_spki.size(), digest, &digest_len,
                         EVP_sha256(), nullptr),
              1);
    const KeyId id = key.public_key().key_id();
    EXPECT_EQ(Bytes(id.begin(), id.end()), Bytes(digest, digest + 8));
  }
}

TEST(Key, KeyIdOfAKnownEd25519Key) {
  // RFC 8032 TEST 1's public key; SPKI = 302a300506032b6570032100 || key.
  Result<Bytes> x = FromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  ASSERT_TRUE(x.ok());
  Result<PublicKey> key = PublicKey::FromEd25519(*x);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(ToHex(key->spki_der()),
            "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751"
            "1a");
  const Digest digest = Sha256(key->spki_der());
  const KeyId id = key->key_id();
  EXPECT_TRUE(std::equal(id.begin(), id.end(), digest.begin()));
}

// --- PEM ------------------------------------------------------------------

TEST(Key, PemRoundTrips) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const PrivateKey key = MustGenerate(alg);
    const std::string private_pem = key.ToPem();
    EXPECT_EQ(private_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    Result<PrivateKey> reread = PrivateKey::FromPem(private_pem);
    ASSERT_TRUE(reread.ok()) << reread.status().ToString();
    EXPECT_EQ(reread->algorithm(), alg);
    EXPECT_EQ(reread->public_key(), key.public_key());
    EXPECT_EQ(reread->ToPem(), private_pem);
    EXPECT_TRUE(key.public_key().Verify(AsBytes("m"), MustSign(*reread, "m")));

    const std::string public_pem = key.public_key().ToPem();
    EXPECT_EQ(public_pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
    Result<PublicKey> pub = PublicKey::FromPem(public_pem);
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    EXPECT_EQ(pub->algorithm(), alg);
    EXPECT_EQ(*pub, key.public_key());
    EXPECT_EQ(pub->ToPem(), public_pem);
    Result<PublicKey> from_der = PublicKey::FromSpkiDer(key.public_key().spki_der());
    ASSERT_TRUE(from_der.ok());
    EXPECT_EQ(*from_der, key.public_key());
  }
}

TEST(Key, PrivatePemGivesThePublicKeyOpenSslDerives) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    const std::string private_pem = MustGenerate(alg).ToPem();
    EvpPkeyPtr ossl = OpenSslPrivate(private_pem);
    ASSERT_NE(ossl, nullptr);
    Result<PrivateKey> key = PrivateKey::FromPem(private_pem);
    ASSERT_TRUE(key.ok());
    // `openssl pkey -pubout` does this.
    EXPECT_EQ(key->public_key().ToPem(), PemOf(ossl.get(), /*private_key=*/false));
  }
}

TEST(Key, PublicKeyFromOpenSslIsAnSm2Key) {
  // As `openssl genpkey -algorithm SM2` and `openssl ecparam -name SM2
  // -genkey` make them: keys of type SM2, and of type EC on the SM2 curve.
  EvpPkeyPtr sm2(EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2"));
  EvpPkeyPtr ec_on_sm2(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "SM2"));
  for (EVP_PKEY* ossl : {sm2.get(), ec_on_sm2.get()}) {
    ASSERT_NE(ossl, nullptr);
    Result<PublicKey> pub = PublicKey::FromPem(PemOf(ossl, /*private_key=*/false));
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    EXPECT_EQ(pub->algorithm(), Algorithm::kSm2);
    Result<PrivateKey> priv = PrivateKey::FromPem(PemOf(ossl, /*private_key=*/true));
    ASSERT_TRUE(priv.ok()) << priv.status().ToString();
    EXPECT_EQ(priv->algorithm(), Algorithm::kSm2);
    EXPECT_EQ(priv->public_key(), *pub);
    // Signatures are SM2 with the default id, not ECDSA: OpenSSL's SM2
    // signature checks ours, and ours checks OpenSSL's.
    EvpPkeyPtr sm2_typed = OpenSslPrivate(PemOf(ossl, true));
    ASSERT_TRUE(EVP_PKEY_is_a(sm2_typed.get(), "SM2"));
    EXPECT_TRUE(
        OpenSslVerify(sm2_typed.get(), Algorithm::kSm2, AsBytes("m"), MustSign(*priv, "m")));
    EXPECT_TRUE(
        pub->Verify(AsBytes("m"), OpenSslSign(sm2_typed.get(), Algorithm::kSm2, AsBytes("m"))));
  }
}

TEST(Key, Sec1EcPrivateKeyWithParametersBlock) {
  // `openssl ecparam -name prime256v1 -genkey` writes EC PARAMETERS, then
  // the SEC1 EC PRIVATE KEY.
  for (const char* curve : {"P-256", "SM2"}) {
    SCOPED_TRACE(curve);
    EvpPkeyPtr ossl(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    ASSERT_NE(ossl, nullptr);
    BioPtr bio(BIO_new(BIO_s_mem()));
    ASSERT_EQ(PEM_write_bio_Parameters(bio.get(), ossl.get()), 1);
    ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), ossl.get(), nullptr, nullptr, 0,
                                                   nullptr, nullptr),
              1);
    const std::string pem = internal::BioContents(bio.get());
    ASSERT_NE(pem.find("-----BEGIN EC PARAMETERS-----"), std::string::npos);
    ASSERT_NE(pem.find("-----BEGIN EC PRIVATE KEY-----"), std::string::npos);
    Result<PrivateKey> key = PrivateKey::FromPem(pem);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->algorithm(), std::string(curve) == "SM2" ? Algorithm::kSm2 : Algorithm::kEs256);
    Result<PublicKey> pub = PublicKey::FromPem(PemOf(ossl.get(), false));
    ASSERT_TRUE(pub.ok());
    EXPECT_EQ(key->public_key(), *pub);
  }
}

TEST(Key, UnsupportedKeysAreInvalidArgument) {
  EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EvpPkeyPtr ed448(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  EvpPkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
  ASSERT_TRUE(p384 && ed448 && rsa);

  Result<PublicKey> pub = PublicKey::FromPem(PemOf(p384.get(), false));
  EXPECT_THAT(pub, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(pub.status().message(),
            "unsupported elliptic curve secp384r1 (citycode supports Ed25519, P-256 and SM2)");
  Result<PrivateKey> priv = PrivateKey::FromPem(PemOf(p384.get(), true));
  EXPECT_THAT(priv, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(priv.status().message(), pub.status().message());

  for (EVP_PKEY* other : {ed448.get(), rsa.get()}) {
    const std::string name = EVP_PKEY_get0_type_name(other);
    SCOPED_TRACE(name);
    Result<PublicKey> other_pub = PublicKey::FromPem(PemOf(other, false));
    EXPECT_THAT(other_pub, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    EXPECT_EQ(other_pub.status().message(),
              "unsupported key algorithm " + name + " (citycode supports Ed25519, P-256 and SM2)");
    EXPECT_THAT(PrivateKey::FromPem(PemOf(other, true)),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  }
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing left on OpenSSL's error queue
}

TEST(Key, MalformedPemIsInvalidArgument) {
  const PrivateKey key = MustGenerate(Algorithm::kEs256);
  const std::string private_pem = key.ToPem();
  const std::string public_pem = key.public_key().ToPem();
  // Each kind where the other is expected.
  Result<PublicKey> pub = PublicKey::FromPem(private_pem);
  EXPECT_THAT(pub, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(pub.status().message(), "expected a PUBLIC KEY PEM block, found PRIVATE KEY");
  Result<PrivateKey> priv = PrivateKey::FromPem(public_pem);
  EXPECT_THAT(priv, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(priv.status().message(), "expected a PRIVATE KEY PEM block, found PUBLIC KEY");
  // Not PEM at all, and a damaged body.
  EXPECT_THAT(PublicKey::FromPem(""), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(PrivateKey::FromPem("hello"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  std::string damaged = public_pem;
  damaged[40] = damaged[40] == 'A' ? 'B' : 'A';
  EXPECT_THAT(PublicKey::FromPem(damaged),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  const std::string encrypted =
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
  EXPECT_EQ(PrivateKey::FromPem(encrypted).status().message(),
            "encrypted private keys are not supported");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Key, SpkiDerEdgeCases) {
  const PrivateKey key = MustGenerate(Algorithm::kEs256);
  Bytes der = key.public_key().spki_der();
  der.push_back(0);
  EXPECT_THAT(PublicKey::FromSpkiDer(der),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(PublicKey::FromSpkiDer(Bytes{0x30, 0x00}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(PublicKey::FromSpkiDer(Bytes()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));

  // A compressed point is read and re-encoded uncompressed.
  EvpPkeyPtr ossl = OpenSslPrivate(key.ToPem());
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(ossl.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           "compressed"),
            1);
  unsigned char* compressed = nullptr;
  const int len = i2d_PUBKEY(ossl.get(), &compressed);
  ASSERT_EQ(len, 59);
  Result<PublicKey> pub = PublicKey::FromSpkiDer(ByteView(compressed, len));
  OPENSSL_free(compressed);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(*pub, key.public_key());
}

// --- Raw constructors -------------------------------------------------------

TEST(Key, FromEcPointValidatesThePoint) {
  for (const Algorithm alg : {Algorithm::kEs256, Algorithm::kSm2}) {
    SCOPED_TRACE(CliName(alg));
    const PublicKey good = MustGenerate(alg).public_key();
    Result<PublicKey> same = PublicKey::FromEcPoint(alg, good.x(), good.y());
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(*same, good);

    Bytes y = good.y();
    y[31] ^= 1;
    Result<PublicKey> off = PublicKey::FromEcPoint(alg, good.x(), y);
    EXPECT_THAT(off, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    EXPECT_THAT(PublicKey::FromEcPoint(alg, Bytes(32, 0), Bytes(32, 0)),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    EXPECT_THAT(PublicKey::FromEcPoint(alg, ByteView(good.x()).first(31), good.y()),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    Bytes x33 = good.x();
    x33.insert(x33.begin(), 0);
    EXPECT_THAT(PublicKey::FromEcPoint(alg, x33, good.y()),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  }
  const PublicKey ed = MustGenerate(Algorithm::kEd25519).public_key();
  EXPECT_THAT(PublicKey::FromEcPoint(Algorithm::kEd25519, ed.x(), ed.x()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Key, FromEcPointRefusesCoordinatesAboveThePrime) {
  // A P-256 point with a small x, then the same x + p (still 32 bytes): the
  // same point, but not its canonical encoding.
  internal::EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  internal::BnCtxPtr ctx(BN_CTX_new());
  internal::BnPtr p(BN_new()), x(BN_new()), y(BN_new());
  internal::EcPointPtr point(EC_POINT_new(group.get()));
  ASSERT_EQ(EC_GROUP_get_curve(group.get(), p.get(), nullptr, nullptr, ctx.get()), 1);
  unsigned long word = 0;
  do {
    ++word;
    BN_set_word(x.get(), word);
    ERR_clear_error();
  } while (EC_POINT_set_compressed_coordinates(group.get(), point.get(), x.get(), 0, ctx.get()) !=
           1);
  ERR_clear_error();
  ASSERT_EQ(EC_POINT_get_affine_coordinates(group.get(), point.get(), nullptr, y.get(), ctx.get()),
            1);
  Bytes xb(32), yb(32), shifted(32);
  BN_bn2binpad(x.get(), xb.data(), 32);
  BN_bn2binpad(y.get(), yb.data(), 32);
  ASSERT_EQ(BN_add(x.get(), x.get(), p.get()), 1);
  ASSERT_EQ(BN_num_bytes(x.get()), 32);
  BN_bn2binpad(x.get(), shifted.data(), 32);

  EXPECT_TRUE(PublicKey::FromEcPoint(Algorithm::kEs256, xb, yb).ok());
  EXPECT_THAT(PublicKey::FromEcPoint(Algorithm::kEs256, shifted, yb),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST(Key, RawConstructorsCheckSizesAndRanges) {
  EXPECT_THAT(PublicKey::FromEd25519(Bytes(31, 1)),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(PublicKey::FromEd25519(Bytes(33, 1)),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(PrivateKey::FromEd25519Seed(Bytes(31, 1)),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(PrivateKey::FromEcScalar(Algorithm::kEd25519, Bytes(32, 1)),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  for (const Algorithm alg : {Algorithm::kEs256, Algorithm::kSm2}) {
    SCOPED_TRACE(CliName(alg));
    EXPECT_THAT(PrivateKey::FromEcScalar(alg, Bytes(31, 1)),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    EXPECT_THAT(PrivateKey::FromEcScalar(alg, Bytes(32, 0)),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
    EXPECT_THAT(PrivateKey::FromEcScalar(alg, Bytes(32, 0xff)),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));  // above n
    Bytes one(32, 0);
    one[31] = 1;
    Result<PrivateKey> key = PrivateKey::FromEcScalar(alg, one);
    ASSERT_TRUE(key.ok());
    EXPECT_TRUE(key->public_key().Verify(AsBytes("m"), MustSign(*key, "m")));
  }
  // n - 1 is a P-256 key but not an SM2 key (1 + d must be invertible).
  Result<Bytes> p256_n_minus_1 =
      FromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550");
  Result<Bytes> sm2_n_minus_1 =
      FromHex("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122");
  Result<Bytes> sm2_n_minus_2 =
      FromHex("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54121");
  EXPECT_TRUE(PrivateKey::FromEcScalar(Algorithm::kEs256, *p256_n_minus_1).ok());
  EXPECT_THAT(PrivateKey::FromEcScalar(Algorithm::kSm2, *sm2_n_minus_1),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_TRUE(PrivateKey::FromEcScalar(Algorithm::kSm2, *sm2_n_minus_2).ok());
}

// --- Threads ----------------------------------------------------------------

TEST(Key, ConcurrentVerificationFromFourThreads) {
  struct Case {
    PublicKey key;
    Bytes message;
    Bytes signature;
    bool expected;
  };
  std::vector<Case> cases;
  for (const Algorithm alg : kAll) {
    const PrivateKey key = MustGenerate(alg);
    for (int i = 0; i < 3; ++i) {
      const std::string message = "code " + std::to_string(i);
      Bytes signature = MustSign(key, message);
      cases.push_back({key.public_key(), ToBytes(message), signature, true});
      signature[i] ^= 0x80;
      cases.push_back({key.public_key(), ToBytes(message), signature, false});
    }
  }
  std::atomic<int> wrong{0}, checked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < cases.size(); ++i) {
          const Case& c = cases[(i + static_cast<std::size_t>(t)) % cases.size()];
          if (c.key.Verify(c.message, c.signature) != c.expected) ++wrong;
          ++checked;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(checked.load(), 4 * 20 * 18);
}

}  // namespace
}  // namespace citycode::crypto
