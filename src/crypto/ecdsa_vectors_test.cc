// ES256 against Wycheproof ECDSA P-256/SHA-256 (../shared/vectors/ecdsa;
// README there): the raw r||s (P1363) file directly, and the DER file
// through a strict DER-to-raw conversion.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include <algorithm>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "crypto/key.h"
#include "tests/support/hex.h"
#include "tests/support/vectors.h"

namespace citycode::crypto {
namespace {

using ::citycode::testing::LoadVectorJson;

using ::citycode::testing::Hex;

// Wycheproof writes coordinates as ASN.1 integers (a leading 00 when the
// top bit is set); COSE wants exactly 32 bytes.
Bytes Coordinate(const nlohmann::json& value) {
  Bytes b = Hex(value);
  while (b.size() > 32 && b.front() == 0) b.erase(b.begin());
  if (b.size() < 32) b.insert(b.begin(), 32 - b.size(), 0);
  return b;
}

// The group's key, built from its coordinates the way a COSE_Key is, and
// checked to be the same key as its SubjectPublicKeyInfo DER.
std::optional<PublicKey> GroupKey(const nlohmann::json& group) {
  const auto& pk = group["publicKey"];
  Result<PublicKey> from_point =
      PublicKey::FromEcPoint(Algorithm::kEs256, Coordinate(pk["wx"]), Coordinate(pk["wy"]));
  EXPECT_TRUE(from_point.ok()) << from_point.status().ToString();
  Result<PublicKey> from_der = PublicKey::FromSpkiDer(Hex(group["publicKeyDer"]));
  EXPECT_TRUE(from_der.ok()) << from_der.status().ToString();
  if (!from_point.ok() || !from_der.ok()) return std::nullopt;
  EXPECT_EQ(*from_point, *from_der);
  EXPECT_EQ(ToHex(from_point->spki_der()), group["publicKeyDer"].get<std::string>());
  EXPECT_EQ(from_point->algorithm(), Algorithm::kEs256);
  return *from_point;
}

TEST(EcdsaWycheproof, P1363EveryTestMatchesItsExpectedResult) {
  const nlohmann::json doc =
      LoadVectorJson("ecdsa/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json");
  int count = 0;
  for (const auto& group : doc["testGroups"]) {
    ASSERT_EQ(group["sha"], "SHA-256");
    const std::optional<PublicKey> key = GroupKey(group);
    ASSERT_TRUE(key.has_value());
    for (const auto& test : group["tests"]) {
      SCOPED_TRACE("tcId " + std::to_string(test["tcId"].get<int>()) + " " +
                   test["comment"].get<std::string>());
      ASSERT_TRUE(test["result"] == "valid" || test["result"] == "invalid");
      EXPECT_EQ(key->Verify(Hex(test["msg"]), Hex(test["sig"])), test["result"] == "valid");
      ++count;
    }
  }
  EXPECT_EQ(count, 262);  // README: 262 tests
}

// What a strict DER reader makes of an ECDSA-Sig-Value.
enum class DerForm {
  kRaw,            // strict DER, r and s in [0, 2^256): converted to r||s
  kNotStrictDer,   // does not parse, trailing bytes, or BER rather than DER
  kOutOfRawRange,  // strict DER, but r or s negative or >= 2^256
};

DerForm StrictDerToRaw(ByteView der, Bytes& raw) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return DerForm::kNotStrictDer;
  DerForm form = DerForm::kRaw;
  unsigned char* reencoded = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &reencoded);
  // OpenSSL's reader accepts some BER (e.g. long-form lengths, leading
  // zeros); only a re-encoding that gives back the same bytes is DER.
  if (p != der.data() + der.size() || len != static_cast<int>(der.size()) ||
      !std::equal(der.begin(), der.end(), reencoded)) {
    form = DerForm::kNotStrictDer;
  } else {
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_is_negative(r) || BN_is_negative(s) || BN_num_bytes(r) > 32 || BN_num_bytes(s) > 32) {
      form = DerForm::kOutOfRawRange;
    } else {
      raw.assign(64, 0);
      BN_bn2binpad(r, raw.data(), 32);
      BN_bn2binpad(s, raw.data() + 32, 32);
    }
  }
  OPENSSL_free(reencoded);
  ECDSA_SIG_free(sig);
  return form;
}

// Our API takes raw r||s only, so each DER signature is converted first.
// Two kinds of case cannot be expressed as 64 raw bytes; both count as
// passing exactly when Wycheproof expects "invalid", because:
// - a signature that is not strict DER is not an ECDSA-Sig-Value (X.690
//   DER, RFC 3279), so a DER verifier must refuse it whatever r and s are;
// - an r or s that is negative or at least 2^256 lies outside [1, n-1], so
//   ECDSA verification (SEC 1 §4.1.4 step 1) refuses it.
// Everything else is verified through PublicKey::Verify.
TEST(EcdsaWycheproof, DerEveryTestMatchesItsExpectedResult) {
  const nlohmann::json doc = LoadVectorJson("ecdsa/wycheproof/ecdsa_secp256r1_sha256_test.json");
  int count = 0, verified = 0, verified_valid = 0, not_der = 0, out_of_range = 0;
  for (const auto& group : doc["testGroups"]) {
    ASSERT_EQ(group["sha"], "SHA-256");
    const std::optional<PublicKey> key = GroupKey(group);
    ASSERT_TRUE(key.has_value());
    for (const auto& test : group["tests"]) {
      SCOPED_TRACE("tcId " + std::to_string(test["tcId"].get<int>()) + " " +
                   test["comment"].get<std::string>());
      const bool expected = test["result"] == "valid";
      ASSERT_TRUE(expected || test["result"] == "invalid");
      ++count;
      Bytes raw;
      switch (StrictDerToRaw(Hex(test["sig"]), raw)) {
        case DerForm::kRaw:
          EXPECT_EQ(key->Verify(Hex(test["msg"]), raw), expected);
          ++verified;
          if (expected) ++verified_valid;
          break;
        case DerForm::kNotStrictDer:
          EXPECT_FALSE(expected);
          ++not_der;
          break;
        case DerForm::kOutOfRawRange:
          EXPECT_FALSE(expected);
          ++out_of_range;
          break;
      }
    }
  }
  EXPECT_EQ(count, 484);  // README: 484 tests
  // Every valid signature, and 75 invalid ones, reach PublicKey::Verify;
  // the other invalid ones are refused as DER (BER lengths, padding, wrong
  // tags, truncation, ...) or carry r or s beyond 32 bytes.
  EXPECT_EQ(verified, 249);
  EXPECT_EQ(verified_valid, 174);
  EXPECT_EQ(not_der, 219);
  EXPECT_EQ(out_of_range, 16);
}

}  // namespace
}  // namespace citycode::crypto
