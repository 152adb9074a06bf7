#include "crypto/internal/ec.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace citycode::crypto::internal {
namespace {

// clang-format off
constexpr EcCurve kP256 = {
    Algorithm::kEs256, NID_X9_62_prime256v1, "prime256v1", "EC",
    {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,  // id-ecPublicKey
     0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,  // prime256v1
     0x03, 0x42, 0x00}};

constexpr EcCurve kSm2 = {
    Algorithm::kSm2, NID_sm2, "SM2", "SM2",
    {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,  // id-ecPublicKey
     0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d,  // 1.2.156.10197.1.301
     0x03, 0x42, 0x00}};
// clang-format on

}  // namespace

const EcCurve* CurveFor(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEs256: return &kP256;
    case Algorithm::kSm2: return &kSm2;
    case Algorithm::kEd25519: return nullptr;
  }
  return nullptr;
}

Result<Algorithm> EcAlgorithmOf(const EVP_PKEY* pkey) {
  char name[80];
  std::size_t name_len = 0;
  if (EVP_PKEY_get_group_name(pkey, name, sizeof name, &name_len) != 1) {
    ClearOpenSslErrors();
    return InvalidArgument(
        "EC keys with explicit curve parameters are not supported (use a named curve: P-256 or "
        "SM2)");
  }
  int nid = OBJ_txt2nid(name);
  if (nid == NID_undef) nid = EC_curve_nist2nid(name);
  if (nid == kP256.nid) return Algorithm::kEs256;
  if (nid == kSm2.nid) return Algorithm::kSm2;
  return InvalidArgument("unsupported elliptic curve " + std::string(name, name_len) +
                         " (citycode supports Ed25519, P-256 and SM2)");
}

// Made once per thread: copying from an EVP_PKEY is not documented as safe
// while other threads copy from it too.
const EVP_PKEY* CurveParameters(const EcCurve& curve) {
  thread_local EvpPkeyPtr p256, sm2;
  EvpPkeyPtr& slot = curve.alg == Algorithm::kSm2 ? sm2 : p256;
  if (slot == nullptr) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, curve.key_type, nullptr));
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                         const_cast<char*>(curve.group_name), 0),
        OSSL_PARAM_construct_end()};
    EVP_PKEY* pkey = nullptr;
    if (ctx == nullptr || EVP_PKEY_paramgen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
        EVP_PKEY_paramgen(ctx.get(), &pkey) != 1) {
      ClearOpenSslErrors();
      return nullptr;
    }
    slot.reset(pkey);
  }
  return slot.get();
}

namespace {

// The fast path of MakeEcKey for public keys: copying the curve parameters
// and setting the point costs about a third of EVP_PKEY_fromdata, which
// rebuilds the curve group each time, and a gate imports one device key per
// scan. Null if it is unavailable.
EvpPkeyPtr MakeEcPublicKeyFromTemplate(const EcCurve& curve, ByteView point) {
  const EVP_PKEY* parameters = CurveParameters(curve);
  if (parameters == nullptr) return nullptr;
  EvpPkeyPtr pkey(EVP_PKEY_new());
  // set1_encoded_public_key decodes the point with EC_POINT_oct2point, which
  // refuses points that are not on the curve.
  if (pkey == nullptr || EVP_PKEY_copy_parameters(pkey.get(), parameters) != 1 ||
      EVP_PKEY_set1_encoded_public_key(pkey.get(), point.data(), point.size()) != 1) {
    ClearOpenSslErrors();
    return nullptr;
  }
  return pkey;
}

}  // namespace

Result<EvpPkeyPtr> MakeEcKey(const EcCurve& curve, ByteView point, const BIGNUM* priv) {
  if (priv == nullptr) {
    if (EvpPkeyPtr pkey = MakeEcPublicKeyFromTemplate(curve, point); pkey != nullptr) return pkey;
    // Fall through: fromdata gives the precise error for a bad point.
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.group_name, 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
    return OpenSslError(StatusCode::kInternal, "cannot build EC key parameters");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, curve.key_type, nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cannot import an EC key");
  }
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        std::string("not a point on the ") +
                            (curve.alg == Algorithm::kSm2 ? "SM2" : "P-256") + " curve");
  }
  return EvpPkeyPtr(pkey);
}

bool EcdsaRawToDer(ByteView raw, Bytes& der) {
  if (raw.size() != 2 * kEcFieldSize) return false;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(raw.data(), kEcFieldSize, nullptr));
  BnPtr s(BN_bin2bn(raw.data() + kEcFieldSize, kEcFieldSize, nullptr));
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ClearOpenSslErrors();
    return false;
  }
  r.release();  // owned by sig now
  s.release();
  unsigned char* out = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &out);
  if (len <= 0) {
    ClearOpenSslErrors();
    return false;
  }
  der.assign(out, out + len);
  OPENSSL_free(out);
  return true;
}

bool EcdsaDerToRaw(ByteView der, Bytes& raw) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr || p != der.data() + der.size()) {
    ClearOpenSslErrors();
    return false;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes r_bytes, s_bytes;
  if (!BnToPadded(r, kEcFieldSize, r_bytes) || !BnToPadded(s, kEcFieldSize, s_bytes)) {
    return false;
  }
  raw = std::move(r_bytes);
  raw.insert(raw.end(), s_bytes.begin(), s_bytes.end());
  return true;
}

const Sm2CurveParams& Sm2Params() {
  static const Sm2CurveParams params = [] {
    Sm2CurveParams out;
    EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_sm2));
    BnCtxPtr bn_ctx(BN_CTX_new());
    BnPtr p(BN_new()), a(BN_new()), b(BN_new()), xg(BN_new()), yg(BN_new());
    const EC_POINT* g = group != nullptr ? EC_GROUP_get0_generator(group.get()) : nullptr;
    if (g == nullptr || bn_ctx == nullptr || p == nullptr || a == nullptr || b == nullptr ||
        xg == nullptr || yg == nullptr ||
        EC_GROUP_get_curve(group.get(), p.get(), a.get(), b.get(), bn_ctx.get()) != 1 ||
        EC_POINT_get_affine_coordinates(group.get(), g, xg.get(), yg.get(), bn_ctx.get()) != 1 ||
        !BnToPadded(a.get(), kEcFieldSize, out.a) || !BnToPadded(b.get(), kEcFieldSize, out.b) ||
        !BnToPadded(xg.get(), kEcFieldSize, out.xg) ||
        !BnToPadded(yg.get(), kEcFieldSize, out.yg)) {
      // Only a build of OpenSSL without SM2 gets here, and then no SM2 key
      // could exist to ask about.
      std::fputs("citycode: OpenSSL has no SM2 curve\n", stderr);
      std::abort();
    }
    return out;
  }();
  return params;
}

}  // namespace citycode::crypto::internal
