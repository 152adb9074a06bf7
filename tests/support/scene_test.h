// A fixture for a scene's use-case tests: the platform opened on the test's
// database at a manual clock, and the terminals, citizens and codes such
// tests make.
//
//   class ThingTest : public testing::SceneTest {
//     void SetUp() override {
//       SceneTest::SetUp();
//       if (IsSkipped() || HasFatalFailure()) return;
//       … open the scene on db(), clock_, *platform_ …
//     }
//   };
#ifndef CITYCODE_TESTS_SUPPORT_SCENE_TEST_H_
#define CITYCODE_TESTS_SUPPORT_SCENE_TEST_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "platform/platform.h"
#include "tests/support/fresh_code.h"
#include "tests/support/test_databases.h"

namespace citycode::testing {

// 2026-08-06 15:06 in Jimo (UTC+8).
inline const Instant kSceneTestStart = FromUnixSeconds(1'786'000'000);
// A fictional person's name; NewCitizen registers every citizen under it.
inline constexpr std::string_view kSceneTestName = "测试市民甲";

struct SceneCitizen {
  std::string id;
  platform::IssuedCredential credential;
  std::shared_ptr<const crypto::PrivateKey> device;  // not default-constructible
};

class SceneTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto opened = platform::Platform::Open(db(), clock_, keyring_,
                                           {.password_cost = crypto::PasswordCost::kMinimal});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    platform_ = std::move(*opened);
  }

  // A terminal of `org` at `site`, as its key authenticates.
  platform::Principal Terminal(const std::string& org, const std::string& site,
                               std::string_view name) {
    auto terminal = platform_->access_keys().CreateTerminal(org, site, name);
    EXPECT_TRUE(terminal.ok()) << terminal.status().ToString();
    auto principal = platform_->access_keys().Authenticate(terminal->second.token);
    EXPECT_TRUE(principal.ok());
    return *principal;
  }

  // A citizen with a phone; `verified`: confirmed at a hall window, as only
  // a verified account reaches the vault (and books at a hospital).
  SceneCitizen NewCitizen(std::string_view phone, std::string_view id_number,
                          bool verified = true) {
    SceneCitizen citizen{.device = std::make_shared<const crypto::PrivateKey>(
                             *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519))};
    auto id = platform_->citizens().Register({.name = std::string(kSceneTestName),
                                              .id_number = std::string(id_number),
                                              .phone = std::string(phone),
                                              .password = "correct horse"});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    citizen.id = *id;
    if (verified) {
      auto confirmed = platform_->identities().ConfirmInPerson(
          citizen.id, {std::string(kSceneTestName), std::string(id_number)}, "term_test_window");
      EXPECT_TRUE(confirmed.ok()) << confirmed.status().ToString();
    }
    auto issued = platform_->devices().Enrol(
        {.citizen_id = citizen.id, .device_key = citizen.device->public_key(), .label = "phone"});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    citizen.credential = *issued;
    return citizen;
  }

  // A fresh code: every presentation has its own counter.
  std::string Code(const SceneCitizen& citizen) {
    return FreshCode(citizen.credential.credential, *citizen.device, clock_.Now(), counter_);
  }

  ManualClock clock_{kSceneTestStart};
  platform::Keyring keyring_ = platform::Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
  std::unique_ptr<platform::Platform> platform_;
  std::uint64_t counter_ = 0;
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_SCENE_TEST_H_
