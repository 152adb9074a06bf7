#include "code/presentation.h"

#include <gtest/gtest.h>

#include "code/base45.h"
#include "crypto/random.h"

namespace citycode::code {
namespace {

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
  EXPECT_FALSE(ParsePresentation(credential_).ok());
  const Bytes presentation =
      *MakePresentation({.credential = credential_, .made_at = FromUnixSeconds(1)}, device_);
  EXPECT_FALSE(ParseCredential(presentation).ok());
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
  EXPECT_EQ(FromQrText("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FromQrText("cc1:AB").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FromQrText("CC1:ab").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FromQrText("CC1:" + std::string(4000, 'A')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(PresentationTest, RefusesEmptyOrHugeCredentials) {
  EXPECT_FALSE(MakePresentation({.credential = {}, .made_at = FromUnixSeconds(1)}, device_).ok());
  EXPECT_FALSE(
      MakePresentation({.credential = Bytes(3000, 1), .made_at = FromUnixSeconds(1)}, device_)
          .ok());
}

}  // namespace
}  // namespace citycode::code
