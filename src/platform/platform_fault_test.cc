// Enrolling a device and renewing its credential, with a storage failure at
// each step in turn: the error must reach the caller, no device may be left
// without its credential, no credential may be stored that the caller never
// got, and the call without the fault must then succeed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "platform/platform.h"
#include "tests/support/faulty_database.h"
#include "tests/support/fresh_code.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::platform {
namespace {

using ::citycode::testing::FaultPoint;
using ::citycode::testing::FaultyDatabase;
using ::citycode::testing::InjectAtEachStep;
using ::citycode::testing::IsOk;
using ::citycode::testing::kStorageFailures;
using ::citycode::testing::StatusIs;
using ::citycode::testing::StorageFailure;

const Instant kStart = FromUnixSeconds(1'786'000'000);

class PlatformFaultTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    faulty_ = std::make_unique<FaultyDatabase>(db());
    // Room for one device per failure kind and step.
    auto opened = Platform::Open(
        *faulty_, clock_, keyring_,
        {.max_devices_per_citizen = 1000, .password_cost = crypto::PasswordCost::kMinimal});
    ASSERT_THAT(opened, IsOk());
    platform_ = std::move(*opened);
    auto citizen = platform_->citizens().Register({.name = "测试市民甲",
                                                   .id_number = "370282199003154516",
                                                   .phone = "13912345678",
                                                   .password = "correct horse"});
    ASSERT_THAT(citizen, IsOk());
    citizen_ = *citizen;
  }

  EnrolRequest NewDevice() {
    return {.citizen_id = citizen_,
            .device_key = crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519)->public_key(),
            .label = "phone"};
  }

  std::int64_t Count(const std::string& from_where) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + from_where);
  }
  std::int64_t Credentials(const std::string& device_id) {
    return Count("credentials WHERE device_id = '" + device_id + "'");
  }
  bool Stored(const IssuedCredential& issued) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    auto row = (*tx)->QueryOptional("SELECT device_id FROM credentials WHERE id = ?",
                                    {store::Blob(issued.claims.id)});
    return row.ok() && row->has_value() && (*row)->Text(0) == issued.device_id;
  }

  std::int64_t DevicesWithKey(const crypto::PublicKey& key) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    auto row = (*tx)->QueryOne("SELECT CAST(COUNT(*) AS BIGINT) FROM devices WHERE public_key = ?",
                               {store::Blob(key.spki_der())});
    EXPECT_THAT(row, IsOk());
    return row.ok() ? row->Int(0) : -1;
  }

  // Every device has a credential.
  void ExpectNoBareDevice() {
    EXPECT_EQ(Count("devices d WHERE NOT EXISTS (SELECT 1 FROM credentials c WHERE c.device_id = "
                    "d.id)"),
              0);
  }

  ManualClock clock_{kStart};
  Keyring keyring_ = Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
  std::unique_ptr<FaultyDatabase> faulty_;
  std::unique_ptr<Platform> platform_;
  std::string citizen_;
};

TEST_P(PlatformFaultTest, ARenewalThatFailsAtAnyStepStoresNoCredential) {
  auto enrolled = platform_->devices().Enrol(NewDevice());
  ASSERT_THAT(enrolled, IsOk());
  const std::string device = enrolled->device_id;
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] {
          const std::int64_t before = Credentials(device);
          auto renewed = platform_->devices().RenewCredential(citizen_, device);
          if (renewed.ok()) {
            EXPECT_TRUE(Stored(*renewed));
            EXPECT_EQ(Credentials(device), before + 1);
          }
          return renewed.status();
        },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          const std::int64_t before = Credentials(device);
          auto renewed = platform_->devices().RenewCredential(citizen_, device);
          ASSERT_THAT(renewed, IsOk());
          EXPECT_TRUE(Stored(*renewed));
          EXPECT_EQ(Credentials(device), before + 1);
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 3);
  }
  EXPECT_EQ(Count("credentials"), Credentials(device)) << "no credential of another device";
}

// An online verification is answered only after the commit that holds its
// replay record: a failure at any step fails the request, and the same code
// is then valid once (nothing was stored half), not replayed.
TEST_P(PlatformFaultTest, AVerificationThatFailsAtAnyStepIsNeverAnsweredValid) {
  const crypto::PrivateKey device = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  EnrolRequest request = NewDevice();
  request.device_key = device.public_key();
  auto enrolled = platform_->devices().Enrol(request);
  ASSERT_THAT(enrolled, IsOk());
  auto org = platform_->organisations().Create("测试公交", OrgKind::kTransitOperator);
  ASSERT_THAT(org, IsOk());
  auto site = platform_->organisations().CreateSite(org->id, "1路");
  ASSERT_THAT(site, IsOk());
  auto terminal = platform_->access_keys().CreateTerminal(org->id, site->id, "1号车");
  ASSERT_THAT(terminal, IsOk());
  auto gate = platform_->access_keys().Authenticate(terminal->second.token);
  ASSERT_THAT(gate, IsOk());
  std::uint64_t counter = 0;
  const auto code = [&] {
    return testing::FreshCode(enrolled->credential, device, clock_.Now(), counter);
  };
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    std::string shown = code();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] {
          auto verified = platform_->verification().Verify(*gate, shown);
          if (verified.ok()) {
            EXPECT_TRUE(verified->result.valid);
          }
          return verified.status();
        },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          const std::int64_t seen = Count("presentations_seen");
          auto again = platform_->verification().Verify(*gate, shown);
          ASSERT_THAT(again, IsOk());
          EXPECT_EQ(again->result.reason, code::Reason::kValid) << "stored half the first time";
          EXPECT_EQ(Count("presentations_seen"), seen + 1);
          shown = code();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 3);
  }
}

TEST_P(PlatformFaultTest, AnEnrolmentThatFailsAtAnyStepLeavesNoDeviceWithoutItsCredential) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    EnrolRequest request = NewDevice();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return platform_->devices().Enrol(request).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(DevicesWithKey(request.device_key), 0);
          ExpectNoBareDevice();
          // The same key again: it was not bound, so it is not already_exists.
          auto issued = platform_->devices().Enrol(request);
          ASSERT_THAT(issued, IsOk());
          EXPECT_TRUE(Stored(*issued));
          ExpectNoBareDevice();
          request = NewDevice();
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 5);
    ExpectNoBareDevice();
  }
}

// A person verified at a window on a second account moves there; a
// failure at any step of it leaves both accounts as they were.
TEST_P(PlatformFaultTest, AnIdentityCheckThatFailsAtAnyStepChangesNoAccount) {
  const Person person{"测试市民甲", "370282199003154516"};
  auto other = platform_->citizens().Register({.name = "测试市民甲",
                                               .id_number = "370282199003154516",
                                               .phone = "13912345679",
                                               .password = "correct horse"});
  ASSERT_THAT(other, IsOk());
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    ASSERT_THAT(platform_->identities().ConfirmInPerson(*other, person, "term_window"), IsOk());
    auto verified_other = platform_->identities().Verified(*other);
    ASSERT_THAT(verified_other, IsOk());
    const std::string verification = verified_other->verification_id;
    const std::int64_t events = Count("identity_events");
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] {
          return platform_->identities().ConfirmInPerson(citizen_, person, "term_window").status();
        },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          auto still = platform_->identities().Verified(*other);
          ASSERT_THAT(still, IsOk());
          EXPECT_EQ(still->verification_id, verification);
          EXPECT_THAT(platform_->identities().Verified(citizen_),
                      StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
          EXPECT_EQ(Count("identity_events"), events);
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 6);
    EXPECT_THAT(platform_->identities().Verified(*other),
                StatusIs(StatusCode::kFailedPrecondition, "identity_not_verified"));
    EXPECT_EQ(platform_->identities().Verified(citizen_)->person.id_number, person.id_number);
  }
}

// Confirming a registration with a storage failure at any step makes no
// account and leaves the code usable.
TEST_P(PlatformFaultTest, AConfirmationThatFailsAtAnyStepMakesNoAccountAndKeepsTheCode) {
  auto inbox = std::make_shared<sms::Inbox>();
  platform_.reset();
  auto opened = Platform::Open(*faulty_, clock_, keyring_,
                               {.password_cost = crypto::PasswordCost::kMinimal, .sms = inbox});
  ASSERT_THAT(opened, IsOk());
  platform_ = std::move(*opened);
  int phone = 0;
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    const std::string number = "1390000010" + std::to_string(phone++);
    ASSERT_THAT(platform_->citizens().StartRegistration({.name = "测试市民乙",
                                                         .id_number = "370282199003154524",
                                                         .phone = number,
                                                         .password = "correct horse"},
                                                        "10.0.0.1"),
                IsOk());
    const std::string code = *inbox->LastCode(number);
    const std::int64_t citizens = Count("citizens");
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return platform_->citizens().ConfirmRegistration(number, code).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          EXPECT_EQ(Count("citizens"), citizens);
        });
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 2);
    EXPECT_EQ(Count("citizens"), citizens + 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PlatformFaultTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::platform
