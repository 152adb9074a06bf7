// The vault's multi-step use cases with a storage failure at each step in
// turn: the error must reach the caller, nothing may be half-done (no used
// grant without its release and audit entry, no grant without its audit
// entry), and the same call without the fault must then succeed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "crypto/key.h"
#include "tests/support/faulty_database.h"
#include "tests/support/faulty_vault_test.h"
#include "tests/support/fresh_code.h"
#include "tests/support/status_matchers.h"
#include "vault/vault.h"

namespace citycode::vault {
namespace {

using ::citycode::testing::Busy;
using ::citycode::testing::FaultPoint;
using ::citycode::testing::InjectAtEachStep;
using ::citycode::testing::IsOk;
using ::citycode::testing::kStorageFailures;
using ::citycode::testing::StatusIs;
using ::citycode::testing::StorageFailure;
using platform::OrgKind;
using platform::Principal;

constexpr std::string_view kName = "测试市民乙";
constexpr std::string_view kIdNumber = "370282199003154516";

class VaultFaultTest : public testing::FaultyVaultTest {
 protected:
  void SetUp() override {
    FaultyVaultTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const platform::Person person{std::string(kName), std::string(kIdNumber)};
    citizen_ = VerifiedCitizen(person, "13912345678");
    ASSERT_FALSE(citizen_.empty());
    auto org = platform_->organisations().Create("即墨区政务服务中心", OrgKind::kServiceHall);
    auto site = platform_->organisations().CreateSite(org->id, "site");
    auto terminal = platform_->access_keys().CreateTerminal(org->id, site->id, "terminal");
    hall_ = *platform_->access_keys().Authenticate(terminal->second.token);
    ASSERT_THAT(
        vault_->SetOrganisationTypes(hall_.org_id, {"resident_id_card", "household_register"},
                                     {"resident_id_card", "household_register"}, "admin"),
        IsOk());
    ASSERT_NO_FATAL_FAILURE(IssueTo(person, {"resident_id_card", "household_register"}));
  }

  Grant NewGrant() {
    auto grant = vault_->GrantPresentation(hall_, citizen_, "ver_test");
    EXPECT_THAT(grant, IsOk());
    EXPECT_TRUE(grant.ok() && grant->has_value());
    return grant.ok() && grant->has_value() ? **grant : Grant{};
  }

  std::int64_t Audited(const std::string& action) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = '" + action +
                    "'");
  }
  bool Used(const Grant& grant) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM vault_grants WHERE id = '" + grant.id +
                    "' AND used_at IS NOT NULL") == 1;
  }

  // What must hold between any two calls, failed or not.
  void ExpectConsistent() {
    // Every used presentation grant has exactly one fetch in the audit log,
    // and every fetch used one grant (this fixture makes no standing grants).
    EXPECT_EQ(
        QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM vault_grants WHERE used_at IS NOT NULL"),
        Audited("certificate.fetch"));
    EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM vault_grants"),
              Audited("consent.presentation"));
    // The hash chain has no gap.
    EXPECT_EQ(QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log"),
              QueryInt("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM audit_log"));
    // A storage failure is no refusal: none is recorded.
    EXPECT_EQ(Audited("fetch.refused"), 0);
  }

  std::string citizen_;
  Principal hall_;
};

TEST_P(VaultFaultTest, AFetchThatFailsAtAnyStepUsesNoGrantAndReleasesNothing) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    Grant grant = NewGrant();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] {
          return vault_->Fetch(hall_, {.grant_id = grant.id, .use_cause = "户口迁移"}).status();
        },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          const std::int64_t fetches = Audited("certificate.fetch");
          EXPECT_FALSE(Used(grant));
          ExpectConsistent();
          // The grant is still good for its one fetch.
          auto release = vault_->Fetch(hall_, {.grant_id = grant.id, .use_cause = "户口迁移"});
          ASSERT_THAT(release, IsOk());
          EXPECT_EQ(release->certificates.size(), 2u);
          EXPECT_TRUE(Used(grant));
          EXPECT_EQ(Audited("certificate.fetch"), fetches + 1);
          ExpectConsistent();
          grant = NewGrant();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 2 : 5);
    EXPECT_TRUE(Used(grant)) << "the last run, which met no fault, used its grant";
    ExpectConsistent();
  }
}

// A fetch whose checks ran before its grant expired but whose final step
// (using the grant, the audit entry) comes after: refused as expired, the
// grant not used, nothing released.
TEST_P(VaultFaultTest, AFetchStraddlingItsGrantsExpiryIsRefusedAtTheFinalStep) {
  const Grant grant = NewGrant();
  // The second transaction is the final step's; the clock passes the
  // expiry just before it begins.
  faulty_->Arm({.point = FaultPoint::kBegin, .nth = 2, .error = OkStatus(), .action = [&] {
                  clock_.Set(grant.expires_at + std::chrono::seconds(1));
                }});
  auto release = vault_->Fetch(hall_, {.grant_id = grant.id, .use_cause = "户口迁移"});
  EXPECT_EQ(faulty_->fired(), 1) << "the final step was reached";
  faulty_->Disarm();
  EXPECT_THAT(release, StatusIs(StatusCode::kPermissionDenied, "consent_expired"));
  EXPECT_FALSE(Used(grant));
  EXPECT_EQ(Audited("certificate.fetch"), 0);
}

TEST_P(VaultFaultTest, APresentationGrantThatFailsAtAnyStepIsNotMadeWithoutItsAuditEntry) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return vault_->GrantPresentation(hall_, citizen_, "ver_test").status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          ExpectConsistent();
          EXPECT_THAT(vault_->GrantPresentation(hall_, citizen_, "ver_test"), IsOk());
          ExpectConsistent();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 3);
  }
}

// POST /v1/verify's use case: the verification and its presentation grant
// commit together through the platform's group commit, and the answer comes
// only after that commit. A failure at any step is answered as that
// failure, never valid; nothing is stored half (the same code is then valid
// once, with its grant and audit entry).
TEST_P(VaultFaultTest, AVerifiedPresentationThatFailsAtAnyStepIsNeverAnsweredValid) {
  const crypto::PrivateKey device = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  auto enrolled = platform_->devices().Enrol(
      {.citizen_id = citizen_, .device_key = device.public_key(), .label = "phone"});
  ASSERT_THAT(enrolled, IsOk());
  std::uint64_t counter = 0;
  const auto code = [&] {
    return testing::FreshCode(enrolled->credential, device, clock_.Now(), counter);
  };
  const auto verify = [&](const std::string& shown) {
    std::promise<Result<VerifiedPresentation>> answered;
    vault_->VerifyPresentationThen(hall_, shown, [&](Result<VerifiedPresentation> verified) {
      answered.set_value(std::move(verified));
    });
    return answered.get_future().get();
  };
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    std::string shown = code();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] {
          auto verified = verify(shown);
          if (verified.ok()) {
            EXPECT_TRUE(verified->verification.result.valid);
          }
          return verified.status();
        },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          ExpectConsistent();
          auto again = verify(shown);
          ASSERT_THAT(again, IsOk());
          EXPECT_EQ(again->verification.result.reason, code::Reason::kValid)
              << "stored half the first time";
          EXPECT_TRUE(again->grant.has_value());
          ExpectConsistent();
          shown = code();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 4);
  }
}

// A busy database once, anywhere: RunInTransaction retries, and the fetch is
// done exactly once.
TEST_P(VaultFaultTest, ABusyStepAnywhereInAFetchIsRetriedAndDoneOnce) {
  Grant grant = NewGrant();
  const int steps = InjectAtEachStep(
      *faulty_, {.point = FaultPoint::kStatement, .error = Busy()},
      [&] {
        const std::int64_t fetches = Audited("certificate.fetch");
        auto release = vault_->Fetch(hall_, {.grant_id = grant.id, .use_cause = "户口迁移"});
        EXPECT_EQ(Audited("certificate.fetch"), fetches + (release.ok() ? 1 : 0));
        return release.status();
      },
      [&](int, const Status& status) {
        EXPECT_THAT(status, IsOk());
        EXPECT_TRUE(Used(grant));
        ExpectConsistent();
        grant = NewGrant();
      });
  EXPECT_GE(steps, 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, VaultFaultTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::vault
