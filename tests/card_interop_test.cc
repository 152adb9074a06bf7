// The printed card (a CC1 credential without cnf, shown as its own QR)
// against third-party code (tests/interop/verify_card.mjs): npm base45 and
// cbor take it apart, and cose-js (ES256), @noble/curves (Ed25519, P-256) or
// sm-crypto (SM2) verify its COSE_Sign1 with the key of the trust list a
// gate holds. A tampered copy must be refused there as here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "code/credential.h"
#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "crypto/random.h"
#include "tests/support/algorithms.h"
#include "tests/support/interop.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace citycode::code {
namespace {

using crypto::Algorithm;
using std::chrono::hours;

const Instant kNow = FromUnixSeconds(1'790'000'000);  // 2026-09-21

class CardInteropTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  void SetUp() override {
    if (!testing::HaveInteropPackages()) {
      GTEST_SKIP() << "no " << CITYCODE_INTEROP_DIR << "/node_modules (run npm ci there)";
    }
    trust_ = testing::WriteTrustList(dir_.path() / "trust.json", signer_, kNow,
                                     kNow + std::chrono::days(400));
    claims_ = {.issuer = "citycode:jimo",
               .subject = crypto::RandomArray<16>(),
               .issued_at = kNow - hours(1),
               .expires_at = kNow + std::chrono::days(365),
               .id = crypto::RandomArray<16>(),
               .scenes = {Scene::kGov, Scene::kTransit, Scene::kAccess},
               .channel = Channel::kCard,
               .rider_category = RiderCategory::kSenior};
  }

  // verify_card.mjs on `text`, expecting the claims in claims_.
  testing::ShellRun RunNode(const std::string& text) {
    const std::string command =
        std::string(CITYCODE_NODE) + " " + CITYCODE_INTEROP_DIR + "/verify_card.mjs --text '" +
        text + "' --trust " + (dir_.path() / "trust.json").string() + " --alg " +
        std::string(crypto::CliName(GetParam())) + " --iss " + claims_.issuer + " --cti " +
        ToHex(claims_.id) + " --iat " + std::to_string(ToUnixSeconds(claims_.issued_at)) +
        " --exp " + std::to_string(ToUnixSeconds(claims_.expires_at)) + " --scenes 1,2,5" +
        " --rider 1 2>&1";
    return testing::RunShell(command);
  }

  Reason OurVerdict(const std::string& text) {
    ManualClock clock(kNow);
    return Verifier(clock, trust_,
                    RevocationList{.version = 1,
                                   .issued_at = kNow - hours(1),
                                   .expires_at = kNow + std::chrono::days(1)})
        .VerifyCard(text, Scene::kTransit)
        .reason;
  }

  testing::TempDir dir_{"citycode-card-interop"};
  crypto::PrivateKey signer_ = *crypto::PrivateKey::Generate(GetParam());
  TrustList trust_;
  CredentialClaims claims_;
};

TEST_P(CardInteropTest, ThirdPartyCodeVerifiesTheCardAndItsClaims) {
  const std::string text = ToQrText(*IssueCredential(claims_, signer_));
  EXPECT_EQ(OurVerdict(text), Reason::kValid);
  const testing::ShellRun run = RunNode(text);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("verify_card: ok"));
}

TEST_P(CardInteropTest, ThirdPartyCodeRefusesATamperedOrForeignCard) {
  const Bytes card = *IssueCredential(claims_, signer_);
  Bytes signature = card;
  signature[card.size() - 7] ^= 0x10;
  EXPECT_EQ(OurVerdict(ToQrText(signature)), Reason::kBadIssuerSignature);
  testing::ShellRun run = RunNode(ToQrText(signature));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("does not verify"));

  // Signed by a key the trust list does not hold.
  const auto stranger = *crypto::PrivateKey::Generate(GetParam());
  const std::string foreign = ToQrText(*IssueCredential(claims_, stranger));
  EXPECT_EQ(OurVerdict(foreign), Reason::kUnknownKey);
  run = RunNode(foreign);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("no trust.json key has kid"));

  // A phone's credential (it has cnf) is no card, here or there.
  CredentialClaims phone = claims_;
  phone.channel = Channel::kApp;
  phone.device_key = crypto::PrivateKey::Generate(GetParam())->public_key();
  const std::string bare = ToQrText(*IssueCredential(phone, signer_));
  EXPECT_EQ(OurVerdict(bare), Reason::kNotACard);
  run = RunNode(bare);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("a card has a cnf"));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, CardInteropTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

}  // namespace
}  // namespace citycode::code
