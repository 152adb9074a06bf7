// Ed25519 against RFC 8032 §7.1 and Wycheproof (../shared/vectors/ed25519;
// README there).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "common/bytes.h"
#include "crypto/key.h"
#include "tests/support/hex.h"
#include "tests/support/vectors.h"

namespace citycode::crypto {
namespace {

using ::citycode::testing::LoadVectorJson;

using ::citycode::testing::Hex;

// OpenSSL's own Ed25519 verification, as an independent second opinion.
bool OpenSslVerify(ByteView pk, ByteView message, ByteView signature) {
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk.data(), pk.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = key != nullptr && ctx != nullptr &&
                  EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(),
                                   message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

TEST(Ed25519Rfc8032, PublicKeySignatureAndVerify) {
  const nlohmann::json doc = LoadVectorJson("ed25519/rfc8032_ed25519.json");
  ASSERT_EQ(doc["vectors"].size(), 5u);
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const Bytes message = Hex(v["message"]);
    const Bytes signature = Hex(v["signature"]);
    Result<PrivateKey> key = PrivateKey::FromEd25519Seed(Hex(v["secret_key"]));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->public_key().x(), Hex(v["public_key"]));
    Result<Bytes> signed_now = key->Sign(message);
    ASSERT_TRUE(signed_now.ok());
    EXPECT_EQ(ToHex(*signed_now), v["signature"].get<std::string>());
    ASSERT_EQ(v["expected"], "valid");
    Result<PublicKey> pub = PublicKey::FromEd25519(Hex(v["public_key"]));
    ASSERT_TRUE(pub.ok());
    EXPECT_TRUE(pub->Verify(message, signature));
    EXPECT_TRUE(OpenSslVerify(pub->x(), message, signature));
  }
}

TEST(Ed25519Wycheproof, EveryTestMatchesItsExpectedResult) {
  const nlohmann::json doc = LoadVectorJson("ed25519/wycheproof/ed25519_test.json");
  int valid = 0, invalid = 0;
  for (const auto& group : doc["testGroups"]) {
    const Bytes pk = Hex(group["publicKey"]["pk"]);
    Result<PublicKey> key = PublicKey::FromEd25519(pk);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    // The SPKI this key carries is the one Wycheproof gives.
    EXPECT_EQ(ToHex(key->spki_der()), group["publicKeyDer"].get<std::string>());
    for (const auto& test : group["tests"]) {
      SCOPED_TRACE("tcId " + std::to_string(test["tcId"].get<int>()) + " " +
                   test["comment"].get<std::string>());
      const Bytes message = Hex(test["msg"]);
      const Bytes signature = Hex(test["sig"]);
      const bool expected = test["result"] == "valid";
      EXPECT_EQ(key->Verify(message, signature), expected);
      // libsodium (our Verify) and OpenSSL agree on every case, so the
      // stricter libsodium rules lose no valid signature.
      EXPECT_EQ(OpenSslVerify(pk, message, signature), expected);
      (expected ? valid : invalid)++;
    }
  }
  // All of them ran (README: 151 tests, 88 valid, 63 invalid).
  EXPECT_EQ(valid, 88);
  EXPECT_EQ(invalid, 63);
}

}  // namespace
}  // namespace citycode::crypto
