#include "code/presentation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "code/base45.h"
#include "crypto/random.h"
#include "tests/support/status_matchers.h"

namespace citycode::code {
namespace {

using ::citycode::testing::StatusIs;
using ::testing::HasSubstr;

auto InvalidBecause(const std::string& why) {
  return StatusIs(StatusCode::kInvalidArgument, "invalid_argument", HasSubstr(why));
}

class PresentationTest : public ::testing::Test {
 protected:
  PresentationTest()
      : signer_(*crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519)),
        device_(*crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519)) {
    credential_ = *IssueCredential({.issuer = "citycode:jimo",
                                    .subject = crypto::RandomArray<16>(),
                                    .issued_at = FromUnixSeconds(1'790'000'000),
                                    .expires_at = FromUnixSeconds(1'790'086'400),
                                    .id = crypto::RandomArray<16>(),
                                    .device_key = device_.public_key(),
                                    .scenes = {Scene::kTransit}},
                                   signer_);
  }
  crypto::PrivateKey signer_, device_;
  Bytes credential_;
};

TEST_F(PresentationTest, RoundTripsThroughTheQrText) {
  const Bytes signed_bytes = *MakePresentation({.credential = credential_,
                                                .made_at = FromUnixSeconds(1'790'000'100),
                                                .counter = 42,
                                                .scene_hint = Scene::kTransit},
                                               device_);
  const std::string text = ToQrText(signed_bytes);
  EXPECT_TRUE(text.starts_with("CC1:"));
  auto parsed = ParsePresentation(*FromQrText(text));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->fields.credential, credential_);
  EXPECT_EQ(parsed->fields.made_at, FromUnixSeconds(1'790'000'100));
  EXPECT_EQ(parsed->fields.counter, 42u);
  EXPECT_EQ(parsed->fields.scene_hint, Scene::kTransit);
  EXPECT_TRUE(VerifyCoseSign1(parsed->envelope, device_.public_key()));
  EXPECT_FALSE(VerifyCoseSign1(parsed->envelope, signer_.public_key()));
}

TEST_F(PresentationTest, CredentialAndPresentationAreNotInterchangeable) {
  EXPECT_THAT(ParsePresentation(credential_), InvalidBecause("presentation payload has"));
  const Bytes presentation =
      *MakePresentation({.credential = credential_, .made_at = FromUnixSeconds(1)}, device_);
  EXPECT_THAT(ParseCredential(presentation), InvalidBecause("mistyped or out-of-range claim"));
}

TEST_F(PresentationTest, QrTextIsAlphanumericAndSmall) {
  const std::string text = ToQrText(*MakePresentation(
      {.credential = credential_, .made_at = FromUnixSeconds(1'790'000'100), .counter = 1'000'000},
      device_));
  for (char c : text) {
    EXPECT_NE(std::string_view("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:").find(c),
              std::string_view::npos)
        << c;
  }
  // Ed25519 device and issuer: about 300 bytes, 460 characters.
  EXPECT_LT(text.size(), 480u) << text.size();
}

TEST_F(PresentationTest, RefusesBadQrTexts) {
  EXPECT_THAT(FromQrText(""), InvalidBecause("does not start with CC1:"));
  EXPECT_THAT(FromQrText("cc1:AB"), InvalidBecause("does not start with CC1:"));
  EXPECT_THAT(FromQrText("CC1:ab"), InvalidBecause("outside its alphabet"));
  EXPECT_THAT(FromQrText("CC1:" + std::string(4000, 'A')), InvalidBecause("too long"));
}

TEST_F(PresentationTest, RefusesEmptyOrHugeCredentials) {
  EXPECT_THAT(MakePresentation({.credential = {}, .made_at = FromUnixSeconds(1)}, device_),
              InvalidBecause("empty or too large"));
  EXPECT_THAT(
      MakePresentation({.credential = Bytes(3000, 1), .made_at = FromUnixSeconds(1)}, device_),
      InvalidBecause("empty or too large"));
}

}  // namespace
}  // namespace citycode::code
