// An access site's allow-list and its delta against third-party code
// (tests/interop/verify_allow_list.mjs): jose (EdDSA, ES256), sm-crypto
// (SM2SM3) and @noble/curves verify the JWS with root.pem, and the payload
// admits the expected credential ids. A tampered copy is refused there as
// here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "code/allow_list.h"
#include "crypto/random.h"
#include "tests/support/algorithms.h"
#include "tests/support/interop.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace citycode::code {
namespace {

using crypto::Algorithm;
using std::chrono::hours;

class AllowListInteropTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  void SetUp() override {
    if (!testing::HaveInteropPackages()) {
      GTEST_SKIP() << "no " << CITYCODE_INTEROP_DIR << "/node_modules (run npm ci there)";
    }
    std::ofstream(dir_.path() / "root.pem") << root_.public_key().ToPem();
    // The list's times are now: the checker wants a list issued about now.
    const Instant now = std::chrono::floor<std::chrono::seconds>(SystemClock().Now());
    list_ = {.site = "site_court", .version = 7, .issued_at = now, .expires_at = now + hours(1)};
    for (const CredentialId& cti : {staff_, leaving_}) {
      list_.entries.push_back({AllowHashFor(cti), now - hours(24), now + hours(24 * 365)});
    }
    AllowEntry visitor{AllowHashFor(visitor_), now - hours(1), now + hours(3)};
    visitor.entries = 2;
    list_.entries.push_back(visitor);
    std::sort(list_.entries.begin(), list_.entries.end());
    delta_ = {.site = list_.site,
              .base_version = 7,
              .version = 8,
              .issued_at = now,
              .expires_at = now + hours(1),
              .removed = {{AllowHashFor(leaving_), now - hours(24), now + hours(24 * 365)}}};
    Write("delta.json", *SignAllowListDelta(delta_, root_));
  }

  void Write(const char* name, const std::string& text) {
    std::ofstream(dir_.path() / name) << text;
  }

  testing::ShellRun RunNode() {
    const std::string command =
        std::string(CITYCODE_NODE) + " " + CITYCODE_INTEROP_DIR + "/verify_allow_list.mjs --dir " +
        dir_.path().string() + " --alg " + std::string(crypto::CliName(GetParam())) +
        " --site site_court --admits " + ToHex(staff_) + "," + ToHex(leaving_) + "," +
        ToHex(visitor_) + " --delta-removes " + ToHex(leaving_) + " 2>&1";
    return testing::RunShell(command);
  }

  testing::TempDir dir_{"citycode-allow-list-interop"};
  crypto::PrivateKey root_ = *crypto::PrivateKey::Generate(GetParam());
  const CredentialId staff_ = crypto::RandomArray<16>();
  const CredentialId leaving_ = crypto::RandomArray<16>();
  const CredentialId visitor_ = crypto::RandomArray<16>();
  AllowList list_;
  AllowListDelta delta_;
};

TEST_P(AllowListInteropTest, ThirdPartyJoseVerifiesTheListAndItsDelta) {
  const std::string jws = *SignAllowList(list_, root_);
  ASSERT_TRUE(VerifyAllowList(jws, root_.public_key()).ok());
  Write("list.json", jws);
  const testing::ShellRun run = RunNode();
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("verify_allow_list: ok"));
}

TEST_P(AllowListInteropTest, ThirdPartyJoseRefusesATamperedList) {
  std::string jws = *SignAllowList(list_, root_);
  // One character of the payload changed under the same signature.
  const std::size_t payload = jws.find("\"payload\"");
  ASSERT_NE(payload, std::string::npos);
  jws[payload + 30] = jws[payload + 30] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyAllowList(jws, root_.public_key()).ok());
  Write("list.json", jws);
  const testing::ShellRun run = RunNode();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("FAIL"));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, AllowListInteropTest, testing::AllAlgorithms(),
                         testing::AlgorithmParamName());

}  // namespace
}  // namespace citycode::code
