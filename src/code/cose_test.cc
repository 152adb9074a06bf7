#include "code/cose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "code/internal/cbor.h"
#include "crypto/algorithm.h"
#include "crypto/key.h"
#include "tests/support/hex.h"
#include "tests/support/status_matchers.h"

namespace citycode::code {
namespace {

using crypto::Algorithm;

constexpr Algorithm kAlgorithms[] = {Algorithm::kEd25519, Algorithm::kEs256, Algorithm::kSm2};

using ::citycode::testing::Hex;
using ::citycode::testing::StatusIs;
using ::testing::HasSubstr;

crypto::PrivateKey NewKey(Algorithm alg) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(alg);
  if (!key.ok()) {
    ADD_FAILURE() << "Generate: " << key.status().ToString();
    std::abort();
  }
  return *key;
}

// The encoded protected header SignCoseSign1 must produce.
std::string ExpectedProtectedHex(Algorithm alg, const std::string& kid_hex) {
  std::string alg_hex;
  switch (alg) {
    case Algorithm::kEd25519:
      alg_hex = "27";  // -8
      break;
    case Algorithm::kEs256:
      alg_hex = "26";  // -7
      break;
    case Algorithm::kSm2:
      alg_hex = "3a00010000";  // -65537
      break;
  }
  if (kid_hex.empty()) return "a101" + alg_hex;
  return "a201" + alg_hex + "0448" + kid_hex;
}

class CoseAlgorithmTest : public ::testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(All, CoseAlgorithmTest, ::testing::ValuesIn(kAlgorithms),
                         [](const auto& p) { return std::string(crypto::CliName(p.param)); });

TEST_P(CoseAlgorithmTest, SignDecodeVerifyRoundTrip) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const crypto::KeyId kid = key.public_key().key_id();
  const Bytes payload = ToBytes("citycode payload \x01\x02");
  const Result<Bytes> message = SignCoseSign1(key, payload, ByteView(kid));
  ASSERT_TRUE(message.ok()) << message.status().ToString();

  const Result<CoseSign1> decoded = DecodeCoseSign1(*message);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->tagged);
  EXPECT_EQ(decoded->alg, crypto::CoseAlgorithm(GetParam()));
  EXPECT_EQ(decoded->kid, Bytes(kid.begin(), kid.end()));
  EXPECT_EQ(decoded->payload, payload);
  EXPECT_EQ(decoded->signature.size(), crypto::kSignatureSize);
  EXPECT_EQ(ToHex(decoded->protected_bytes), ExpectedProtectedHex(GetParam(), ToHex(kid)));
  EXPECT_TRUE(VerifyCoseSign1(*decoded, key.public_key()));

  // Another key of the same algorithm, and external AAD it was not signed with.
  EXPECT_FALSE(VerifyCoseSign1(*decoded, NewKey(GetParam()).public_key()));
  EXPECT_FALSE(VerifyCoseSign1(*decoded, key.public_key(), AsBytes("aad")));
}

TEST_P(CoseAlgorithmTest, MessageLayoutIsDeterministic) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const Bytes payload = {0xA0};
  for (const bool with_kid : {false, true}) {
    const std::array<std::uint8_t, 8> kid = {1, 2, 3, 4, 5, 6, 7, 8};
    const Result<Bytes> message =
        with_kid ? SignCoseSign1(key, payload, ByteView(kid)) : SignCoseSign1(key, payload);
    ASSERT_TRUE(message.ok());
    const std::string protected_hex =
        ExpectedProtectedHex(GetParam(), with_kid ? "0102030405060708" : "");
    // d2 84, bstr(protected), a0, 41 a0, 58 40 signature
    const std::uint8_t bstr_head[] = {static_cast<std::uint8_t>(0x40 + protected_hex.size() / 2)};
    const std::string expected_prefix = "d284" + ToHex(bstr_head) + protected_hex + "a041a05840";
    const std::string hex = ToHex(*message);
    ASSERT_EQ(hex.size(), expected_prefix.size() + 128);
    EXPECT_EQ(hex.substr(0, expected_prefix.size()), expected_prefix);
    const Result<CoseSign1> decoded = DecodeCoseSign1(*message);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->kid.empty(), !with_kid);
    EXPECT_TRUE(VerifyCoseSign1(*decoded, key.public_key()));
  }
}

TEST_P(CoseAlgorithmTest, EverySingleByteTamperFails) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const crypto::KeyId kid = key.public_key().key_id();
  const Result<Bytes> message = SignCoseSign1(key, AsBytes("tamper me"), ByteView(kid));
  ASSERT_TRUE(message.ok());
  // Every replacement value at every position for Ed25519 (fast); for the
  // slower ECDSA and SM2, every position with a spread of replacements.
  std::vector<std::uint8_t> masks;
  if (GetParam() == Algorithm::kEd25519) {
    for (int m = 1; m < 256; ++m) masks.push_back(static_cast<std::uint8_t>(m));
  } else {
    masks = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF};
  }
  int decoded_count = 0;
  for (std::size_t i = 0; i < message->size(); ++i) {
    for (const std::uint8_t mask : masks) {
      Bytes tampered = *message;
      tampered[i] ^= mask;
      const Result<CoseSign1> decoded = DecodeCoseSign1(tampered);
      if (!decoded.ok()) {
        ASSERT_THAT(decoded, StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
        continue;
      }
      ++decoded_count;
      ASSERT_FALSE(VerifyCoseSign1(*decoded, key.public_key()))
          << "byte " << i << " ^ " << int{mask} << " still verifies: " << ToHex(tampered);
    }
  }
  EXPECT_GT(decoded_count, 0);  // the loop did reach verification
  // Truncations and extensions fail to decode.
  for (std::size_t n = 0; n < message->size(); ++n) {
    EXPECT_THAT(DecodeCoseSign1(ByteView(*message).first(n)),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << n;
  }
  Bytes longer = *message;
  longer.push_back(0x00);
  EXPECT_THAT(DecodeCoseSign1(longer),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("trailing")));
}

TEST_P(CoseAlgorithmTest, AlgorithmMustMatchTheKey) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const Result<Bytes> message = SignCoseSign1(key, AsBytes("payload"));
  ASSERT_TRUE(message.ok());
  const Result<CoseSign1> decoded = DecodeCoseSign1(*message);
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(VerifyCoseSign1(*decoded, key.public_key()));

  for (const Algorithm other : kAlgorithms) {
    if (other == GetParam()) continue;
    // A key of another algorithm.
    EXPECT_FALSE(VerifyCoseSign1(*decoded, NewKey(other).public_key()));
    // The right key, but alg naming another algorithm.
    CoseSign1 relabelled = *decoded;
    relabelled.alg = crypto::CoseAlgorithm(other);
    EXPECT_FALSE(VerifyCoseSign1(relabelled, key.public_key()));
  }
  CoseSign1 no_alg = *decoded;
  no_alg.alg.reset();
  EXPECT_FALSE(VerifyCoseSign1(no_alg, key.public_key()));
  CoseSign1 unknown_alg = *decoded;
  unknown_alg.alg = -999;
  EXPECT_FALSE(VerifyCoseSign1(unknown_alg, key.public_key()));
  CoseSign1 short_signature = *decoded;
  short_signature.signature.pop_back();
  EXPECT_FALSE(VerifyCoseSign1(short_signature, key.public_key()));
}

TEST(Cose, UntaggedRefusedWhenTagRequired) {
  const crypto::PrivateKey key = NewKey(Algorithm::kEd25519);
  const Result<Bytes> message = SignCoseSign1(key, AsBytes("payload"));
  ASSERT_TRUE(message.ok());
  ASSERT_EQ((*message)[0], 0xD2);
  const ByteView untagged = ByteView(*message).subspan(1);

  EXPECT_THAT(DecodeCoseSign1(untagged),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("tag 18")));

  const Result<CoseSign1> accepted = DecodeCoseSign1(untagged, {.require_tag = false});
  ASSERT_TRUE(accepted.ok());
  EXPECT_FALSE(accepted->tagged);
  EXPECT_TRUE(VerifyCoseSign1(*accepted, key.public_key()));  // the tag is not signed

  const Result<CoseSign1> tagged = DecodeCoseSign1(*message, {.require_tag = false});
  ASSERT_TRUE(tagged.ok());
  EXPECT_TRUE(tagged->tagged);
}

TEST(Cose, Ed25519MessageIsReproducible) {
  // RFC 8032 §7.1 TEST 1 secret key: Ed25519 is deterministic, so the whole
  // message is too.
  const Result<crypto::PrivateKey> key = crypto::PrivateKey::FromEd25519Seed(
      Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  ASSERT_TRUE(key.ok());
  const std::array<std::uint8_t, 2> kid = {'1', '1'};
  const Result<Bytes> a = SignCoseSign1(*key, AsBytes("This is the content."), ByteView(kid));
  const Result<Bytes> b = SignCoseSign1(*key, AsBytes("This is the content."), ByteView(kid));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(ToHex(ByteView(*a).first(12)), "d28447a2012704423131a054");
  // The signature is that of the Sig_structure, independently.
  const Result<Bytes> signature =
      key->Sign(SigStructure(Hex("a2012704423131"), {}, AsBytes("This is the content.")));
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(ToHex(ByteView(*a).last(64)), ToHex(*signature));
}

TEST(Cose, SigStructureBytes) {
  const ByteView payload = AsBytes("This is the content.");
  const std::string content = "546869732069732074686520636f6e74656e742e";
  // RFC 9052 §C.2.1 (cose-wg Appendix_C_2_1 ToBeSign).
  EXPECT_EQ(ToHex(SigStructure(Hex("a10126"), {}, payload)),
            "846a5369676e61747572653143a101264054" + content);
  // An empty protected map contributes a zero-length bstr (sign-pass-01)...
  EXPECT_EQ(ToHex(SigStructure(Hex("a0"), {}, payload)),
            "846a5369676e617475726531404054" + content);
  // ...and so does an empty protected bstr.
  EXPECT_EQ(ToHex(SigStructure({}, {}, payload)), "846a5369676e617475726531404054" + content);
  // External AAD (sign-pass-02).
  EXPECT_EQ(ToHex(SigStructure(Hex("a10126"), Hex("11aa22bb33cc44dd55006699"), payload)),
            "846a5369676e61747572653143a101264c11aa22bb33cc44dd5500669954" + content);
  // Long parts get longer heads.
  const Bytes big(300, 0x07);
  const Bytes s = SigStructure(Hex("a10127"), {}, big);
  EXPECT_EQ(ToHex(ByteView(s).first(22)), "846a5369676e61747572653143a101274059012c0707");
  EXPECT_EQ(s.size(), 22u - 2 + 300);
}

// Message-level checks, on hand-made messages (signatures are dummies).
class CoseDecodeTest : public ::testing::Test {
 protected:
  static Result<CoseSign1> Decode(std::string_view hex, CoseOptions options = {}) {
    return DecodeCoseSign1(Hex(hex), options);
  }
  static void ExpectInvalid(std::string_view hex, CoseOptions options = {}) {
    EXPECT_THAT(Decode(hex, options), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << hex;
  }
};

TEST_F(CoseDecodeTest, AcceptsHeaderVariants) {
  // Protected {1: -7}, unprotected {4: '11'}, payload 'hi', signature h'0102'.
  Result<CoseSign1> d = Decode("d28443a10126a104423131426869420102");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->alg, -7);
  EXPECT_EQ(AsChars(d->kid), "11");
  EXPECT_EQ(AsChars(d->payload), "hi");
  EXPECT_EQ(ToHex(d->signature), "0102");
  EXPECT_EQ(ToHex(d->protected_bytes), "a10126");

  // Empty protected bstr and empty protected map: no alg.
  d = Decode("d28440a0426869420102");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->alg.has_value());
  d = Decode("d28441a0a0426869420102");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->alg.has_value());
  EXPECT_EQ(ToHex(d->protected_bytes), "a0");

  // Text alg: decodes, alg left empty (verification will fail).
  d = Decode("d2844aa1016765733235362d78a0426869420102");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->alg.has_value());

  // kid in both headers: the protected one wins.
  d = Decode("d28447a2012604423131a104423232426869420102");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(AsChars(d->kid), "11");

  // alg only in the unprotected header does not count.
  d = Decode("d28440a10126426869420102");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->alg.has_value());

  // Other labels (text too) are ignored; an empty payload is fine.
  d = Decode("d28445a201260300a16161f540420102");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->payload.empty());
}

TEST_F(CoseDecodeTest, RefusesMalformedMessages) {
  // The well-formed base: 18([h'A10126', {}, 'hi', h'0102']).
  ASSERT_TRUE(Decode("d28443a10126a0426869420102").ok());

  ExpectInvalid("d903e68443a10126a0426869420102");          // tag 998 (sign-fail-01)
  ExpectInvalid("d8628443a10126a0426869420102");            // tag 98, COSE_Sign
  ExpectInvalid("d83dd28443a10126a0426869420102");          // CWT tag 61 around it
  ExpectInvalid("d28343a10126a0426869");                    // three items
  ExpectInvalid("d28543a10126a042686942010240");            // five items
  ExpectInvalid("d2a0");                                    // not an array
  ExpectInvalid("d284a10126a0426869420102");                // protected is a map, not a bstr
  ExpectInvalid("d28443820102a0426869420102");              // protected bstr holds an array
  ExpectInvalid("d28444a1012600a0426869420102");            // ... a map and a trailing byte
  ExpectInvalid("d28445a201260127a0426869420102");          // ... duplicate labels
  ExpectInvalid("d28444bf0126ffa0426869420102");            // ... an indefinite map
  ExpectInvalid("d28443a1012640426869420102");              // unprotected is not a map
  ExpectInvalid("d28443a10126a0f6420102");                  // detached payload
  ExpectInvalid("d28443a10126a0626869420102");              // payload is text
  ExpectInvalid("d28443a10126a0426869f6");                  // signature is not a bstr
  ExpectInvalid("d28444a1014126a0426869420102");            // alg is a bstr
  ExpectInvalid("d28445a201260401a0426869420102");          // protected kid is an int
  ExpectInvalid("d28443a10126a10401426869420102");          // unprotected kid is an int
  ExpectInvalid("d28446a20126028101a0426869420102");        // crit, protected
  ExpectInvalid("d28443a10126a1028101426869420102");        // crit, unprotected
  ExpectInvalid("d28443a10126a2044131044132426869420102");  // duplicate unprotected labels
  ExpectInvalid("d28443a10126a042686942010200");            // a trailing byte
  ExpectInvalid("d28443a10126a0426869420102", {.max_message_bytes = 12});
  EXPECT_TRUE(Decode("d28443a10126a0426869420102", {.max_message_bytes = 13}).ok());
  ExpectInvalid("");

  // Nesting in the unprotected header beyond the strict decoder's depth.
  std::string deep = "d28443a10126a101";
  for (int i = 0; i < 8; ++i) deep += "81";
  ExpectInvalid(deep + "00426869420102");
}

}  // namespace
}  // namespace citycode::code

namespace citycode::code {
namespace {

// DecodeCoseSign1 reads the CC1 shape on a fast path; the same message with
// tag 18 in its two-byte form (D8 12) takes the general decoder. Both must
// read it the same.
TEST(CoseDecodePathsTest, FastAndGeneralPathsAgree) {
  for (crypto::Algorithm alg : {crypto::Algorithm::kEd25519, crypto::Algorithm::kEs256}) {
    const auto key = *crypto::PrivateKey::Generate(alg);
    const crypto::KeyId kid = key.public_key().key_id();
    for (const bool with_kid : {false, true}) {
      const Bytes fast_input = *SignCoseSign1(
          key, Bytes{1, 2, 3}, with_kid ? std::optional<ByteView>(kid) : std::nullopt);
      ASSERT_EQ(fast_input[0], 0xD2);
      Bytes general_input = {0xD8, 0x12};
      general_input.insert(general_input.end(), fast_input.begin() + 1, fast_input.end());
      const auto fast = DecodeCoseSign1(fast_input);
      const auto general = DecodeCoseSign1(general_input);
      ASSERT_TRUE(fast.ok() && general.ok());
      EXPECT_EQ(fast->tagged, general->tagged);
      EXPECT_EQ(fast->protected_bytes, general->protected_bytes);
      EXPECT_EQ(fast->alg, general->alg);
      EXPECT_EQ(fast->kid, general->kid);
      EXPECT_EQ(fast->payload, general->payload);
      EXPECT_EQ(fast->signature, general->signature);
      EXPECT_TRUE(VerifyCoseSign1(*fast, key.public_key()));
    }
  }
}

}  // namespace
}  // namespace citycode::code
