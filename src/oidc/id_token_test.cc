#include "oidc/id_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "oidc/test_provider.h"
#include "tests/support/status_matchers.h"

namespace citycode::oidc {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;
using nlohmann::json;

constexpr char kIssuer[] = "https://id.example.test";
constexpr char kClient[] = "citycode-jimo";
constexpr char kNonce[] = "n-0S6_WzA2Mj";
const Instant kNow = FromUnixSeconds(1'786'800'000);

class IdTokenTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto provider = TestIdentityProvider::Create(kIssuer, GetParam());
    ASSERT_THAT(provider.status(), IsOk());
    provider_ = std::move(*provider);
    auto verifier = IdTokenVerifier::Create(
        {.issuer = kIssuer, .client_id = kClient, .jwks_json = provider_->JwksJson()});
    ASSERT_THAT(verifier.status(), IsOk());
    verifier_ = std::move(*verifier);
  }

  TestIdToken Token() const {
    return {.audience = kClient,
            .nonce = kNonce,
            .subject = "person-7",
            .name = "张明",
            .id_number = "370282198506201236",
            .issued_at = kNow};
  }
  json Claims() const {
    return {{"iss", kIssuer},       {"aud", kClient},
            {"sub", "person-7"},    {"nonce", kNonce},
            {"iat", 1'786'800'000}, {"exp", 1'786'800'300},
            {"name", "张明"},       {"id_number", "370282198506201236"}};
  }
  std::string Signed(const json& header, const json& claims) const {
    auto token = provider_->Sign(header, claims);
    EXPECT_THAT(token.status(), IsOk());
    return token.ok() ? *token : std::string();
  }
  Result<IdTokenClaims> Verify(std::string_view token, Instant now = kNow) const {
    return verifier_->Verify(token, kNonce, now);
  }

  std::unique_ptr<TestIdentityProvider> provider_;
  std::unique_ptr<IdTokenVerifier> verifier_;
};

TEST_P(IdTokenTest, AValidTokenNamesThePerson) {
  auto token = provider_->IdToken(Token());
  ASSERT_THAT(token.status(), IsOk());
  auto claims = Verify(*token);
  ASSERT_THAT(claims.status(), IsOk());
  EXPECT_EQ(claims->subject, "person-7");
  EXPECT_EQ(claims->name, "张明");
  EXPECT_EQ(claims->id_number, "370282198506201236");
  EXPECT_EQ(claims->issued_at, kNow);
}

TEST_P(IdTokenTest, RefusesEachBrokenClaimWithItsReason) {
  const auto with = [&](const char* name, json value) {
    json claims = Claims();
    if (value.is_null()) {
      claims.erase(name);
    } else {
      claims[name] = std::move(value);
    }
    return Signed(json::object(), claims);
  };
  const auto unauthenticated = [](const char* reason) {
    return StatusIs(StatusCode::kUnauthenticated, reason);
  };
  EXPECT_THAT(Verify(with("iss", "https://evil.example")), unauthenticated("id_token_issuer"));
  EXPECT_THAT(Verify(with("aud", "another-client")), unauthenticated("id_token_audience"));
  EXPECT_THAT(Verify(with("aud", json::array({kClient, "other"}))),
              unauthenticated("id_token_audience"));  // several audiences need azp
  EXPECT_THAT(Verify(with("nonce", "replayed-nonce")), unauthenticated("id_token_nonce"));
  EXPECT_THAT(Verify(with("nonce", nullptr)), unauthenticated("id_token_nonce"));
  EXPECT_THAT(Verify(with("exp", 1'786'799'000)), unauthenticated("id_token_expired"));
  EXPECT_THAT(Verify(with("iat", 1'786'800'500)), unauthenticated("id_token_expired"));
  EXPECT_THAT(Verify(with("iat", 1'786'799'000)), unauthenticated("id_token_expired"));
  EXPECT_THAT(Verify(with("exp", nullptr)), unauthenticated("id_token_claims"));
  EXPECT_THAT(Verify(with("exp", 1e300)), unauthenticated("id_token_claims"));
  EXPECT_THAT(Verify(with("iat", -5)), unauthenticated("id_token_claims"));
  EXPECT_THAT(Verify(with("exp", "tomorrow")), unauthenticated("id_token_claims"));
  EXPECT_THAT(Verify(with("name", nullptr)), unauthenticated("id_token_claims"));
  EXPECT_THAT(Verify(with("id_number", "")), unauthenticated("id_token_claims"));
  EXPECT_THAT(Verify(with("sub", nullptr)), unauthenticated("id_token_claims"));
  json azp = Claims();
  azp["aud"] = json::array({kClient, "other"});
  azp["azp"] = kClient;
  EXPECT_THAT(Verify(Signed(json::object(), azp)).status(), IsOk());
}

TEST_P(IdTokenTest, RefusesForgedAndMalformedTokens) {
  const std::string good = Signed(json::object(), Claims());
  const std::size_t dot = good.find('.'), last = good.rfind('.');
  const std::string payload = good.substr(dot + 1, last - dot - 1);
  const auto part = [](const json& j) { return Base64UrlEncode(AsBytes(j.dump())); };
  // alg "none": no signature at all.
  const std::string none = part({{"alg", "none"}, {"kid", provider_->kid()}}) + "." + payload + ".";
  EXPECT_THAT(Verify(none), StatusIs(StatusCode::kUnauthenticated, "id_token_algorithm"));
  // HS256 keyed with the public key: the classic algorithm confusion.
  const std::string hs = part({{"alg", "HS256"}, {"kid", provider_->kid()}}) + "." + payload + "." +
                         Base64UrlEncode(AsBytes("forged"));
  EXPECT_THAT(Verify(hs), StatusIs(StatusCode::kUnauthenticated, "id_token_algorithm"));
  // The other family's algorithm with this key.
  const char* other = std::string_view(GetParam()) == "ES256" ? "RS256" : "ES256";
  const std::string mismatch = part({{"alg", other}, {"kid", provider_->kid()}}) + "." + payload +
                               "." + good.substr(last + 1);
  EXPECT_THAT(Verify(mismatch), StatusIs(StatusCode::kUnauthenticated, "id_token_algorithm"));
  EXPECT_THAT(Verify(Signed({{"kid", "unknown-key"}}, Claims())),
              StatusIs(StatusCode::kUnauthenticated, "id_token_key"));
  // A signature made by another key with this key's kid.
  auto stranger = TestIdentityProvider::Create(kIssuer, GetParam());
  ASSERT_THAT(stranger.status(), IsOk());
  auto forged = (*stranger)->Sign({{"kid", provider_->kid()}}, Claims());
  ASSERT_THAT(forged.status(), IsOk());
  EXPECT_THAT(Verify(*forged), StatusIs(StatusCode::kUnauthenticated, "id_token_signature"));
  // The payload changed after signing.
  json changed = Claims();
  changed["id_number"] = "110101199003070011";
  const std::string swapped = good.substr(0, dot) + "." + part(changed) + good.substr(last);
  EXPECT_THAT(Verify(swapped), StatusIs(StatusCode::kUnauthenticated, "id_token_signature"));
  for (const std::string& bad :
       {std::string(), std::string("a.b"), std::string("a.b.c.d"), std::string("!!.!!.!!"),
        good.substr(0, dot) + ".bm90IGpzb24." + good.substr(last + 1),
        std::string(kMaxIdTokenBytes + 1, 'a')}) {
    EXPECT_THAT(Verify(bad), StatusIs(StatusCode::kUnauthenticated, "id_token_malformed"))
        << bad.substr(0, 40);
  }
}

TEST_P(IdTokenTest, MessagesHoldNoClaimValue) {
  json claims = Claims();
  claims["nonce"] = "370282198506201236-nonce";
  auto refused = Verify(Signed(json::object(), claims));
  ASSERT_THAT(refused, StatusIs(StatusCode::kUnauthenticated, "id_token_nonce"));
  EXPECT_EQ(refused.status().message().find("3702"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, IdTokenTest, ::testing::Values("ES256", "RS256"));

TEST(IdTokenVerifierTest, RefusesABadProviderConfiguration) {
  auto provider = TestIdentityProvider::Create(kIssuer);
  ASSERT_THAT(provider.status(), IsOk());
  const std::string jwks = (*provider)->JwksJson();
  EXPECT_THAT(IdTokenVerifier::Create({.issuer = "", .client_id = kClient, .jwks_json = jwks}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(
      IdTokenVerifier::Create(
          {.issuer = kIssuer, .client_id = kClient, .jwks_json = jwks, .algorithms = {"HS256"}}),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  for (const char* bad : {"", "[]", "{}", R"({"keys": []})", R"({"keys": [{"kty": "EC"}]})",
                          R"({"keys": [{"kid": "k", "kty": "EC", "crv": "P-256"}]})"}) {
    EXPECT_THAT(
        IdTokenVerifier::Create({.issuer = kIssuer, .client_id = kClient, .jwks_json = bad}),
        StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << bad;
  }
}

}  // namespace
}  // namespace citycode::oidc
