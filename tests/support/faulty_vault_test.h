// A fixture for the failure-injection tests of the vault and of the scenes
// that fetch from it: a platform and a vault opened on a fault-injecting
// database (faulty_database.h), an issuing agency with its key, and a
// citizen verified at a window who holds sample certificates.
//
//   class HallFaultTest : public testing::FaultyVaultTest {
//     void SetUp() override {
//       FaultyVaultTest::SetUp();
//       if (IsSkipped() || HasFatalFailure()) return;
//       …  // the scene, opened on *faulty_
//     }
//   };
#ifndef CITYCODE_TESTS_SUPPORT_FAULTY_VAULT_TEST_H_
#define CITYCODE_TESTS_SUPPORT_FAULTY_VAULT_TEST_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "platform/platform.h"
#include "tests/support/faulty_database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"
#include "vault/sample_certificates.h"
#include "vault/vault.h"

namespace citycode::testing {

class FaultyVaultTest : public DatabaseTest {
 protected:
  static constexpr std::string_view kAgencyName = "即墨区公安分局";
  static constexpr std::string_view kAgencyCode = "11370282MB1234567X";

  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    faulty_ = std::make_unique<FaultyDatabase>(db());
    auto platform = platform::Platform::Open(*faulty_, clock_, keyring_,
                                             {.password_cost = crypto::PasswordCost::kMinimal});
    ASSERT_THAT(platform, IsOk());
    platform_ = std::move(*platform);
    auto vault = vault::Vault::Open(*faulty_, clock_, *platform_, keyring_);
    ASSERT_THAT(vault, IsOk());
    vault_ = std::move(*vault);
    agency_ = platform_->organisations().Create(kAgencyName, platform::OrgKind::kIssuingAgency)->id;
    ASSERT_THAT(vault_->RegisterIssuer({.org_id = agency_,
                                        .credit_code = std::string(kAgencyCode),
                                        .name = std::string(kAgencyName)},
                                       "admin"),
                IsOk());
    ASSERT_THAT(vault_->AddIssuerKey(agency_, agency_key_.public_key(), "admin"), IsOk());
  }

  // Registers `person` and verifies them at a window (only a verified
  // account reaches the vault); the citizen id.
  std::string VerifiedCitizen(const platform::Person& person, std::string_view phone) {
    auto citizen = platform_->citizens().Register({.name = person.name,
                                                   .id_number = person.id_number,
                                                   .phone = std::string(phone),
                                                   .password = "correct horse"});
    EXPECT_THAT(citizen, IsOk());
    if (!citizen.ok()) return {};
    EXPECT_THAT(platform_->identities().ConfirmInPerson(*citizen, person, "term_test_window"),
                IsOk());
    return *citizen;
  }

  // The agency issues `person` one valid certificate of each type.
  void IssueTo(const platform::Person& person, const std::vector<std::string>& types) {
    for (const std::string& type : types) {
      auto c = vault::SampleCertificate(
          *vault::FindCertificateType(type), {.name = person.name, .id_number = person.id_number},
          {.name = std::string(kAgencyName), .credit_code = std::string(kAgencyCode)}, ++serial_,
          "2020-05-01", "2036-01-01");
      ASSERT_THAT(c, IsOk());
      ASSERT_THAT(vault_->Issue(agency_, *vault::SignCertificate(*c, agency_key_)), IsOk());
    }
  }

  ManualClock clock_{FromUnixSeconds(1'786'000'000)};
  platform::Keyring keyring_ = platform::Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
  std::unique_ptr<FaultyDatabase> faulty_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<vault::Vault> vault_;
  const crypto::PrivateKey agency_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::string agency_;

 private:
  std::uint64_t serial_ = 0;
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_FAULTY_VAULT_TEST_H_
