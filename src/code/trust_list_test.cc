#include "code/trust_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crypto/random.h"
#include "tests/support/algorithms.h"
#include "tests/support/status_matchers.h"

namespace citycode::code {
namespace {

using ::citycode::testing::StatusIs;
using crypto::Algorithm;
using ::testing::HasSubstr;

class TrustListTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  TrustListTest()
      : root_(*crypto::PrivateKey::Generate(GetParam())),
        signer_(*crypto::PrivateKey::Generate(GetParam())) {
    list_ = TrustList{.version = 4,
                      .issuer = "citycode:jimo",
                      .issued_at = FromUnixSeconds(1'790'000'000),
                      .expires_at = FromUnixSeconds(1'792'592'000),
                      .keys = {{signer_.public_key(), FromUnixSeconds(1'780'000'000),
                                FromUnixSeconds(1'800'000'000)}}};
  }
  crypto::PrivateKey root_, signer_;
  TrustList list_;
};

TEST_P(TrustListTest, SignsAndVerifiesAsFlattenedJws) {
  const std::string jws = *SignTrustList(list_, root_);
  const auto json = nlohmann::json::parse(jws);
  EXPECT_EQ(json.size(), 3u);
  const auto header =
      nlohmann::json::parse(AsChars(*Base64UrlDecode(json["protected"].get<std::string>())));
  EXPECT_EQ(header["alg"], crypto::JoseAlgorithm(GetParam()));
  const auto payload =
      nlohmann::json::parse(AsChars(*Base64UrlDecode(json["payload"].get<std::string>())));
  EXPECT_EQ(payload["type"], "citycode-trust-list");
  EXPECT_EQ(payload["keys"][0]["kid"], ToHex(signer_.public_key().key_id()));
  EXPECT_EQ(payload["keys"][0]["alg"], crypto::TrustListAlgorithm(GetParam()));
  EXPECT_EQ(payload["issued_at"], "2026-09-21T14:13:20Z");

  auto verified = VerifyTrustList(jws, root_.public_key());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->version, 4u);
  EXPECT_EQ(verified->issuer, "citycode:jimo");
  EXPECT_EQ(verified->issued_at, list_.issued_at);
  ASSERT_EQ(verified->keys.size(), 1u);
  EXPECT_EQ(verified->keys[0].key, signer_.public_key());
  EXPECT_EQ(verified->keys[0].not_after, FromUnixSeconds(1'800'000'000));
}

TEST_P(TrustListTest, RefusesAnotherRootAndAnyChangedPart) {
  const std::string jws = *SignTrustList(list_, root_);
  const auto other_root = *crypto::PrivateKey::Generate(GetParam());
  EXPECT_THAT(VerifyTrustList(jws, other_root.public_key()),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated",
                       HasSubstr("does not verify with the root key")));
  const auto changed = [&](const char* part) {
    auto json = nlohmann::json::parse(jws);
    std::string value = json[part].get<std::string>();
    value[value.size() / 2] = value[value.size() / 2] == 'A' ? 'B' : 'A';
    json[part] = value;
    return json.dump();
  };
  // The middle of the protected header is the ':' after "kid", whose change
  // leaves no JSON object to read an alg from.
  EXPECT_THAT(VerifyTrustList(changed("protected"), root_.public_key()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("no alg")));
  for (const char* part : {"payload", "signature"}) {
    EXPECT_THAT(VerifyTrustList(changed(part), root_.public_key()),
                StatusIs(StatusCode::kUnauthenticated, "unauthenticated",
                         HasSubstr("does not verify with the root key")))
        << part;
  }
}

TEST_P(TrustListTest, RevocationListNamesOnlyTruncatedHashes) {
  const CredentialId cti = crypto::RandomArray<16>();
  RevocationList list{.version = 2,
                      .issued_at = FromUnixSeconds(1'790'000'000),
                      .expires_at = FromUnixSeconds(1'790'172'800),
                      .entries = {RevocationEntryFor(cti)}};
  const std::string jws = *SignRevocationList(list, root_);
  EXPECT_EQ(jws.find(ToHex(cti)), std::string::npos);
  auto verified = VerifyRevocationList(jws, root_.public_key());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->Contains(cti));
  EXPECT_FALSE(verified->Contains(crypto::RandomArray<16>()));
  // One list is never accepted as the other.
  EXPECT_THAT(VerifyTrustList(jws, root_.public_key()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("expected 'citycode-trust-list'")));
  EXPECT_THAT(VerifyRevocationList(*SignTrustList(list_, root_), root_.public_key()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("expected 'citycode-revocation-list'")));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, TrustListTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

TEST(TrustListParsingTest, RefusesMalformedDocuments) {
  const auto root = *crypto::PrivateKey::Generate(Algorithm::kEd25519);
  for (const char* text :
       {"", "[]", "{}", "{\"protected\":1,\"payload\":\"\",\"signature\":\"\"}", "{\"a\":"}) {
    EXPECT_THAT(VerifyTrustList(text, root.public_key()),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                         HasSubstr("not a flattened JWS")))
        << text;
  }
  EXPECT_THAT(
      VerifyTrustList("{\"protected\":\"!!\",\"payload\":\"\",\"signature\":\"\"}",
                      root.public_key()),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("not valid base64")));
  EXPECT_THAT(VerifyTrustList(std::string(kMaxListBytes + 1, ' '), root.public_key()),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("too large")));
}

// RFC 7515 §7.2.1, §4.1.11: an unprotected header may add names, never
// repeat a protected one or carry crit (tests/jws_differential_test.cc:
// jose refuses these; we accepted them).
TEST(TrustListParsingTest, RefusesAnUnprotectedHeaderThatRepeatsOrIsCritical) {
  const auto root = *crypto::PrivateKey::Generate(Algorithm::kEd25519);
  const TrustList list{.version = 1,
                       .issuer = "citycode:jimo",
                       .issued_at = FromUnixSeconds(1'790'000'000),
                       .expires_at = FromUnixSeconds(1'792'592'000)};
  const std::string jws = *SignTrustList(list, root);
  const auto with_header = [&](const nlohmann::json& header) {
    auto json = nlohmann::json::parse(jws);
    json["header"] = header;
    return json.dump();
  };
  EXPECT_TRUE(VerifyTrustList(with_header({{"note", "added"}}), root.public_key()).ok());
  for (const nlohmann::json& header :
       {nlohmann::json{{"alg", "none"}}, nlohmann::json{{"kid", "00"}},
        nlohmann::json{{"crit", {"b64"}}}, nlohmann::json("text")}) {
    EXPECT_THAT(
        VerifyTrustList(with_header(header), root.public_key()),
        StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("unprotected header")))
        << header.dump();
  }
}

TEST(RevocationEntryTest, IsTheFirst16BytesOfSha256) {
  CredentialId cti{};
  // SHA-256 of 16 zero bytes.
  EXPECT_EQ(ToHex(RevocationEntryFor(cti)), "374708fff7719dd5979ec875d56cd228");
}

}  // namespace
}  // namespace citycode::code
