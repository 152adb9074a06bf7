#include "file_issuer/issuer_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "code/presentation.h"
#include "code/verifier.h"
#include "common/files.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace citycode::file_issuer {
namespace {

using ::citycode::testing::StatusIs;

class IssuerDirTest : public ::testing::Test {
 protected:
  testing::TempDir temp_{"citycode-issuer"};
  // Init creates the issuer directory itself.
  const std::filesystem::path dir_ = temp_.path() / "issuer";
  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
};

TEST_F(IssuerDirTest, InitWritesKeysAndListsThatOpenAgain) {
  auto issuer = IssuerDir::Init(dir_, {.algorithm = crypto::Algorithm::kEs256}, clock_);
  ASSERT_TRUE(issuer.ok()) << issuer.status().ToString();
  for (const char* file : {"root.key", "root.pem", "signing.key", "trust.json", "revoked.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / file)) << file;
  }
  struct stat st;
  ASSERT_EQ(::stat((dir_ / "root.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ / "signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto opened = IssuerDir::Open(dir_, clock_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->trust_list().issuer, "citycode:jimo");
  EXPECT_EQ(opened->trust_list().version, 1u);
  EXPECT_EQ(opened->trust_list().keys.size(), 1u);
  EXPECT_EQ(opened->root_public_key(), issuer->root_public_key());

  EXPECT_THAT(IssuerDir::Init(dir_, {}, clock_),
              StatusIs(StatusCode::kAlreadyExists, "already_exists"));
}

TEST_F(IssuerDirTest, IssuedCredentialsVerifyUntilRevoked) {
  auto issuer = IssuerDir::Init(dir_, {}, clock_);
  ASSERT_TRUE(issuer.ok());
  const auto device = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  auto issued = issuer->Issue({.device_key = device.public_key(), .scenes = {code::Scene::kGov}});
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  auto second = issuer->Issue({.device_key = device.public_key(), .scenes = {code::Scene::kGov}});
  EXPECT_NE(issued->claims.id, second->claims.id);
  EXPECT_NE(issued->claims.subject, second->claims.subject);

  auto code_text = [&](std::uint64_t n) {
    return code::ToQrText(*code::MakePresentation(
        {.credential = issued->bytes, .made_at = clock_.Now(), .counter = n}, device));
  };
  {
    code::Verifier verifier(clock_, issuer->trust_list(), issuer->revocation_list());
    EXPECT_TRUE(verifier.Verify(code_text(1), code::Scene::kGov).valid);
  }
  ASSERT_TRUE(issuer->Revoke(issued->claims.id).ok());
  auto reopened = IssuerDir::Open(dir_, clock_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->revocation_list().version, 2u);
  code::Verifier verifier(clock_, reopened->trust_list(), reopened->revocation_list());
  EXPECT_EQ(verifier.Verify(code_text(2), code::Scene::kGov).reason,
            code::Reason::kCredentialRevoked);
}

TEST_F(IssuerDirTest, OpenRefusesListsNotSignedByTheRoot) {
  ASSERT_TRUE(IssuerDir::Init(dir_, {}, clock_).ok());
  const auto other = temp_.path() / "other";
  ASSERT_TRUE(IssuerDir::Init(other, {}, clock_).ok());
  std::filesystem::copy_file(other / "trust.json", dir_ / "trust.json",
                             std::filesystem::copy_options::overwrite_existing);
  auto opened = IssuerDir::Open(dir_, clock_);
  EXPECT_THAT(opened, StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_NE(opened.status().message().find("trust.json"), std::string::npos);
}

}  // namespace
}  // namespace citycode::file_issuer
