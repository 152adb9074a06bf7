#include "crypto/aead.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/internal/sm4.h"
#include "crypto/password.h"
#include "tests/support/hex.h"
#include "tests/support/status_matchers.h"

namespace citycode::crypto {
namespace {

using ::citycode::testing::Hex;
using ::citycode::testing::StatusIs;
using ::testing::HasSubstr;

class AeadTest : public ::testing::TestWithParam<CipherProfile> {
 protected:
  AeadKey key_{};
  void SetUp() override {
    for (std::size_t i = 0; i < key_.size(); ++i) key_[i] = static_cast<std::uint8_t>(i * 7 + 1);
  }
};

TEST_P(AeadTest, RoundTripsWithItsAad) {
  const Bytes plaintext = {'3', '7', '0', '2', 0, 0xff};
  const Bytes aad = {'c', 'i', 't', 'i', 'z', 'e', 'n'};
  Bytes sealed = Seal(GetParam(), key_, plaintext, aad);
  EXPECT_EQ(*SealedProfile(sealed), GetParam());
  auto opened = Open(key_, sealed, aad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, plaintext);
  // The empty plaintext is a value too.
  EXPECT_EQ(*Open(key_, Seal(GetParam(), key_, {}, aad), aad), Bytes{});
}

TEST_P(AeadTest, FreshNonceEveryTime) {
  const Bytes plaintext = {1, 2, 3};
  EXPECT_NE(Seal(GetParam(), key_, plaintext, {}), Seal(GetParam(), key_, plaintext, {}));
}

TEST_P(AeadTest, RefusesAnyChangedByteWrongAadOrKey) {
  const Bytes plaintext = {'n', 'a', 'm', 'e'};
  const Bytes aad = {'a'};
  const Bytes sealed = Seal(GetParam(), key_, plaintext, aad);
  for (std::size_t i = 1; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_THAT(Open(key_, tampered, aad),
                StatusIs(StatusCode::kUnauthenticated, "unauthenticated"))
        << i;
  }
  EXPECT_THAT(Open(key_, sealed, Bytes{'b'}),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  AeadKey other = key_;
  other[31] ^= 1;  // the MAC half for SM4, part of the AES key for GCM
  EXPECT_THAT(Open(other, sealed, aad), StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_THAT(Open(key_, ByteView(sealed).first(10), aad),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

INSTANTIATE_TEST_SUITE_P(Profiles, AeadTest,
                         ::testing::Values(CipherProfile::kAes256Gcm,
                                           CipherProfile::kSm4CtrHmacSm3),
                         [](const ::testing::TestParamInfo<CipherProfile>& param_info) {
                           return param_info.param == CipherProfile::kAes256Gcm ? "aes" : "sm4";
                         });

TEST(AeadTest, UnknownProfileByteRefused) {
  AeadKey key{};
  Bytes sealed = Seal(CipherProfile::kAes256Gcm, key, Bytes{1}, {});
  sealed[0] = 9;
  EXPECT_THAT(Open(key, sealed, {}), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(CipherProfileFromName("sm4-ctr-hmac-sm3").value(), CipherProfile::kSm4CtrHmacSm3);
  EXPECT_THAT(CipherProfileFromName("des"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("unknown cipher profile")));
}

// GB/T 32907-2016 appendix A, example 1: one block of SM4 with key = plaintext
// = 0123456789abcdeffedcba9876543210. In counter mode the first keystream
// block is E(K, counter block), so a zero message with that counter block
// yields the published ciphertext.
TEST(AeadTest, Sm4KnownAnswer) {
  const Bytes k = Hex("0123456789abcdeffedcba9876543210");
  EXPECT_EQ(internal::Sm4CtrXor(k, k, Bytes(16, 0)), Hex("681edf34d206965e86b3e94f536e4246"));
}

// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14:
// 256-bit zero key, zero 96-bit IV, one zero block.
TEST(AeadTest, AesGcmKnownAnswer) {
  AeadKey key{};
  Bytes sealed = Bytes{1};
  sealed.resize(1 + 12);  // zero nonce
  Bytes ct_tag = Hex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  sealed.insert(sealed.end(), ct_tag.begin(), ct_tag.end());
  auto opened = Open(key, sealed, {});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, Bytes(16, 0));
}

// RFC 4231 test case 2 for HMAC-SHA-256; HMAC-SM3 runs Wycheproof's vectors
// in sm2_vectors_test.
TEST(AeadTest, HmacSha256KnownAnswer) {
  const std::string key = "Jefe", data = "what do ya want for nothing?";
  auto mac = Hmac(CipherProfile::kAes256Gcm, AsBytes(key), AsBytes(data));
  EXPECT_EQ(Bytes(mac.begin(), mac.end()),
            Hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

TEST(PasswordTest, HashesAndVerifies) {
  auto hash = HashPassword("correct horse", PasswordCost::kMinimal);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(VerifyPassword("correct horsf", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse", "$argon2i$v=19$garbage"));
  EXPECT_FALSE(VerifyPassword("correct horse", ""));
  // Salted: the same password twice gives two different hashes.
  EXPECT_NE(*hash, *HashPassword("correct horse", PasswordCost::kMinimal));
  EXPECT_THAT(HashPassword("", PasswordCost::kMinimal),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(HashPassword(std::string(kMaxPasswordBytes + 1, 'x'), PasswordCost::kMinimal),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

}  // namespace
}  // namespace citycode::crypto
