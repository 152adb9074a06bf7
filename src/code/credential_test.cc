#include "code/credential.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "code/internal/cbor.h"
#include "crypto/random.h"
#include "tests/support/algorithms.h"
#include "tests/support/status_matchers.h"

namespace citycode::code {
namespace {

using ::citycode::testing::StatusIs;
using crypto::Algorithm;
using ::testing::HasSubstr;

// A credential refused for the reason its message names: every malformed
// credential is invalid_argument, so the message is what tells them apart.
auto Malformed(std::string_view why) {
  return StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr(std::string(why)));
}

class CredentialTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  CredentialTest()
      : signer_(*crypto::PrivateKey::Generate(Algorithm::kEd25519)),
        device_(*crypto::PrivateKey::Generate(GetParam())) {
    claims_ = CredentialClaims{.issuer = "citycode:jimo",
                               .subject = crypto::RandomArray<16>(),
                               .issued_at = FromUnixSeconds(1'790'000'000),
                               .expires_at = FromUnixSeconds(1'790'086'400),
                               .id = crypto::RandomArray<16>(),
                               .device_key = device_.public_key(),
                               .scenes = {Scene::kHotel, Scene::kTransit, Scene::kHotel},
                               .channel = Channel::kAlipay,
                               .rider_category = RiderCategory::kStudent};
  }
  crypto::PrivateKey signer_, device_;
  CredentialClaims claims_;
};

TEST_P(CredentialTest, RoundTripsEveryClaim) {
  const Bytes bytes = *IssueCredential(claims_, signer_);
  auto parsed = ParseCredential(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const CredentialClaims& c = parsed->claims;
  EXPECT_EQ(c.issuer, "citycode:jimo");
  EXPECT_EQ(c.subject, claims_.subject);
  EXPECT_EQ(c.issued_at, claims_.issued_at);
  EXPECT_EQ(c.expires_at, claims_.expires_at);
  EXPECT_EQ(c.id, claims_.id);
  ASSERT_TRUE(c.device_key.has_value());
  EXPECT_EQ(*c.device_key, device_.public_key());
  EXPECT_EQ(c.scenes, (std::vector<Scene>{Scene::kTransit, Scene::kHotel}));
  EXPECT_EQ(c.channel, Channel::kAlipay);
  EXPECT_EQ(c.rider_category, RiderCategory::kStudent);
  EXPECT_FALSE(c.held_by_guardian);
  const crypto::KeyId kid = signer_.public_key().key_id();
  EXPECT_EQ(parsed->envelope.kid, Bytes(kid.begin(), kid.end()));
  EXPECT_TRUE(VerifyCoseSign1(parsed->envelope, signer_.public_key()));
}

TEST_P(CredentialTest, EncodesClaimsDeterministically) {
  // The same claims always give the same payload (keys in RFC 8949 order).
  const Bytes a = ParseCredential(*IssueCredential(claims_, signer_))->envelope.payload;
  const Bytes b = ParseCredential(*IssueCredential(claims_, signer_))->envelope.payload;
  EXPECT_EQ(a, b);
  // Map of 9 pairs, first key 1 (iss) as text.
  ASSERT_GE(a.size(), 3u);
  EXPECT_EQ(a[0], 0xA9);
  EXPECT_EQ(a[1], 0x01);
  EXPECT_EQ(a[2] >> 5, 3);  // major type 3: text
}

TEST_P(CredentialTest, SaysWhenAGuardianHoldsIt) {
  claims_.held_by_guardian = true;
  const Bytes payload = ParseCredential(*IssueCredential(claims_, signer_))->envelope.payload;
  EXPECT_EQ(payload[0], 0xAA);  // one claim more: 10 pairs
  auto claims = ParseCredentialClaims(payload);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_TRUE(claims->held_by_guardian);
}

INSTANTIATE_TEST_SUITE_P(AllDeviceAlgorithms, CredentialTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

TEST(CredentialClaimsTest, RefusesIncompleteClaimsAtIssuance) {
  const auto signer = *crypto::PrivateKey::Generate(Algorithm::kEd25519);
  CredentialClaims claims{.issuer = "citycode:jimo",
                          .issued_at = FromUnixSeconds(100),
                          .expires_at = FromUnixSeconds(200),
                          .device_key = signer.public_key(),
                          .scenes = {Scene::kGov}};
  EXPECT_TRUE(IssueCredential(claims, signer).ok());
  auto no_scenes = claims;
  no_scenes.scenes.clear();
  EXPECT_THAT(
      IssueCredential(no_scenes, signer),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("at least one scene")));
  auto backwards = claims;
  backwards.expires_at = backwards.issued_at;
  EXPECT_THAT(
      IssueCredential(backwards, signer),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("expire after")));
  auto no_issuer = claims;
  no_issuer.issuer.clear();
  EXPECT_THAT(
      IssueCredential(no_issuer, signer),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("issuer must be")));
  auto keyless = claims;
  keyless.device_key.reset();
  EXPECT_THAT(
      IssueCredential(keyless, signer),
      StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr("lack a device key")));
  keyless.channel = Channel::kCard;  // a printed card has no device key
  EXPECT_TRUE(ParseCredential(*IssueCredential(keyless, signer)).ok());
}

// Builds a claims map from (key, value) pairs for the parser tests.
Bytes ClaimsWith(std::vector<std::pair<std::int64_t, internal::CborPtr>> entries) {
  internal::CborPtr map = internal::MakeMap(entries.size());
  for (auto& [key, value] : entries)
    internal::MapPut(*map, internal::MakeInt(key), std::move(value));
  return internal::Encode(*map);
}

// The claims of a minimal valid printed-card credential (no cnf needed), in
// canonical order, as (key, value) pairs for ClaimsWith.
std::vector<std::pair<std::int64_t, internal::CborPtr>> MinimalCardClaims() {
  using namespace internal;
  std::vector<std::pair<std::int64_t, CborPtr>> e;
  e.emplace_back(1, MakeText("citycode:jimo"));
  e.emplace_back(2, MakeBytes(Bytes(16, 1)));
  e.emplace_back(4, MakeInt(200));
  e.emplace_back(6, MakeInt(100));
  e.emplace_back(7, MakeBytes(Bytes(16, 2)));
  CborPtr scenes = MakeArray(1);
  ArrayPush(*scenes, MakeInt(2));
  e.emplace_back(-65537, std::move(scenes));
  e.emplace_back(-65538, MakeInt(4));  // card
  return e;
}

TEST(CredentialClaimsTest, RefusesMissingOrMistypedClaims) {
  using namespace internal;
  auto valid_entries = MinimalCardClaims;
  EXPECT_TRUE(ParseCredentialClaims(ClaimsWith(valid_entries())).ok());
  for (std::size_t drop = 0; drop < 7; ++drop) {
    auto entries = valid_entries();
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(drop));
    EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(entries))), Malformed("lacks one of"))
        << "without entry " << drop;
  }
  auto short_sub = valid_entries();
  short_sub[1].second = MakeBytes(Bytes(15, 1));
  EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(short_sub))),
              Malformed("mistyped or out-of-range"));
  auto bad_scene = valid_entries();
  bad_scene[5].second = MakeArray(1);
  ArrayPush(*bad_scene[5].second, MakeInt(6));
  EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(bad_scene))),
              Malformed("mistyped or out-of-range"));
  auto negative_time = valid_entries();
  negative_time[2].second = MakeInt(-1);
  EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(negative_time))),
              Malformed("mistyped or out-of-range"));
  auto app_without_key = valid_entries();
  app_without_key[6].second = MakeInt(1);
  EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(app_without_key))),
              Malformed("lacks cnf"));
  // Refused, not ignored: a gate must know the whole meaning of a credential.
  auto unknown_claim = valid_entries();
  unknown_claim.emplace_back(-70000, MakeInt(1));
  EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(unknown_claim))),
              Malformed("unknown claim"));
  // The holder claim has one value: a guardian holds it.
  auto other_holder = valid_entries();
  other_holder.emplace_back(-65540, MakeInt(2));
  EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(other_holder))),
              Malformed("mistyped or out-of-range"));
  auto duplicate = valid_entries();
  duplicate.emplace_back(4, MakeInt(300));
  EXPECT_THAT(ParseCredentialClaims(ClaimsWith(std::move(duplicate))),
              Malformed("duplicate claim"));
}

TEST(CredentialClaimsTest, RefusesNonCanonicalFraming) {
  const Bytes good = ClaimsWith(MinimalCardClaims());
  ASSERT_TRUE(ParseCredentialClaims(good).ok());
  Bytes trailing = good;
  trailing.push_back(0x00);
  EXPECT_THAT(ParseCredentialClaims(trailing), Malformed("trailing bytes"));
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_THAT(ParseCredentialClaims(truncated), Malformed("truncated"));
  Bytes indefinite = good;
  indefinite[0] = 0xBF;        // indefinite-length map ...
  indefinite.push_back(0xFF);  // ... with its break
  EXPECT_THAT(ParseCredentialClaims(indefinite), Malformed("not a map"));
  EXPECT_THAT(ParseCredentialClaims(Bytes{}), Malformed("not a map"));
}

TEST(SceneNamesTest, ParsesListsAndRefusesUnknownNames) {
  EXPECT_EQ(*ParseSceneList("transit,hotel,transit"),
            (std::vector<Scene>{Scene::kTransit, Scene::kHotel}));
  EXPECT_THAT(ParseSceneList("transit,bank"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                       HasSubstr("unknown scene 'bank'")));
  EXPECT_THAT(ParseSceneList(""), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                           HasSubstr("unknown scene ''")));
  EXPECT_THAT(ParseSceneList("transit,"), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                                   HasSubstr("unknown scene ''")));
  EXPECT_EQ(*ChannelFromName("wechat"), Channel::kWechat);
  EXPECT_THAT(ChannelFromName("sms"), StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                               HasSubstr("unknown channel 'sms'")));
  EXPECT_EQ(*RiderCategoryFromName("disabled"), RiderCategory::kDisabled);
}

}  // namespace
}  // namespace citycode::code
