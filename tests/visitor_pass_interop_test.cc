// The printed visitor pass (CV1) against third-party code
// (tests/interop/verify_pass.mjs): npm base45 and cbor take it apart, and
// cose-js (ES256), @noble/curves (Ed25519, P-256) or sm-crypto (SM2) verify
// its COSE_Sign1 with the key of the trust list a gate holds. A tampered copy
// must be refused there as here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>

#include "code/trust_list.h"
#include "code/verifier.h"
#include "code/visitor_pass.h"
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

class VisitorPassInteropTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  void SetUp() override {
    if (!testing::HaveInteropPackages()) {
      GTEST_SKIP() << "no " << CITYCODE_INTEROP_DIR << "/node_modules (run npm ci there)";
    }
    trust_ = testing::WriteTrustList(dir_.path() / "trust.json", signer_, kNow,
                                     kNow + std::chrono::days(365));
    claims_ = {.issuer = "citycode:jimo",
               .id = crypto::RandomArray<16>(),
               .issued_at = kNow - hours(1),
               .valid_from = kNow,
               .valid_until = kNow + hours(6),
               .site = "site_north_gate",
               .entries = 4};
  }

  // verify_pass.mjs on `text`, expecting the claims in claims_.
  testing::ShellRun RunNode(const std::string& text) {
    const std::string command =
        std::string(CITYCODE_NODE) + " " + CITYCODE_INTEROP_DIR + "/verify_pass.mjs --text '" +
        text + "' --trust " + (dir_.path() / "trust.json").string() + " --alg " +
        std::string(crypto::CliName(GetParam())) + " --iss " + claims_.issuer + " --cti " +
        ToHex(claims_.id) + " --iat " + std::to_string(ToUnixSeconds(claims_.issued_at)) +
        " --nbf " + std::to_string(ToUnixSeconds(claims_.valid_from)) + " --exp " +
        std::to_string(ToUnixSeconds(claims_.valid_until)) + " --site " + claims_.site +
        " --entries " + std::to_string(claims_.entries) + " 2>&1";
    return testing::RunShell(command);
  }

  Reason OurVerdict(const std::string& text) {
    ManualClock clock(kNow + hours(1));
    return Verifier(clock, trust_,
                    RevocationList{.version = 1,
                                   .issued_at = kNow - hours(1),
                                   .expires_at = kNow + std::chrono::days(1)})
        .VerifyVisitorPass(text)
        .reason;
  }

  testing::TempDir dir_{"citycode-pass-interop"};
  crypto::PrivateKey signer_ = *crypto::PrivateKey::Generate(GetParam());
  TrustList trust_;
  VisitorPassClaims claims_;
};

TEST_P(VisitorPassInteropTest, ThirdPartyCodeVerifiesThePassAndItsClaims) {
  const std::string text = VisitorPassText(*IssueVisitorPass(claims_, signer_));
  EXPECT_EQ(OurVerdict(text), Reason::kValid);
  const testing::ShellRun run = RunNode(text);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("verify_pass: ok"));
}

TEST_P(VisitorPassInteropTest, ThirdPartyCodeRefusesATamperedPass) {
  const Bytes pass = *IssueVisitorPass(claims_, signer_);
  // One more entry in the payload (its last byte), under the same signature.
  const Bytes payload = ParseVisitorPass(pass)->envelope.payload;
  const auto at = std::search(pass.begin(), pass.end(), payload.begin(), payload.end());
  ASSERT_NE(at, pass.end());
  Bytes more_entries = pass;
  const std::size_t entries_at = (at - pass.begin()) + payload.size() - 1;
  ASSERT_EQ(more_entries[entries_at], 0x04);
  more_entries[entries_at] = 0x05;
  claims_.entries = 5;  // what the forger wants read
  EXPECT_EQ(OurVerdict(VisitorPassText(more_entries)), Reason::kBadIssuerSignature);
  testing::ShellRun run = RunNode(VisitorPassText(more_entries));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("does not verify"));
  claims_.entries = 4;

  Bytes signature = pass;
  signature[pass.size() - 7] ^= 0x10;
  EXPECT_EQ(OurVerdict(VisitorPassText(signature)), Reason::kBadIssuerSignature);
  run = RunNode(VisitorPassText(signature));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("does not verify"));

  // Signed by a key the trust list does not hold.
  const auto stranger = *crypto::PrivateKey::Generate(GetParam());
  const std::string foreign = VisitorPassText(*IssueVisitorPass(claims_, stranger));
  EXPECT_EQ(OurVerdict(foreign), Reason::kUnknownKey);
  run = RunNode(foreign);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("no trust.json key has kid"));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, VisitorPassInteropTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

}  // namespace
}  // namespace citycode::code
