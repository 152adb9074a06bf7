// A gate's upload with a storage failure at each step in turn (the dedupe
// read, the codes' record, storing and faring): the error must reach
// the gate, and the gate's re-sent upload, with the same codes, must store
// every tap as the valid ride it was, not refuse the verified ones as
// replays.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "code/presentation.h"
#include "platform/platform.h"
#include "scenes/transit/operators.h"
#include "scenes/transit/tap_upload.h"
#include "scenes/transit/test_support.h"
#include "tests/support/faulty_database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::FaultPoint;
using ::citycode::testing::FaultyDatabase;
using ::citycode::testing::InjectAtEachStep;
using ::citycode::testing::IsOk;
using ::citycode::testing::kStorageFailures;
using ::citycode::testing::StatusIs;
using ::citycode::testing::StorageFailure;

constexpr std::int64_t kTapsPerUpload = 3;

class TapUploadFaultTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(LoadDemoFeed(feed_, ext_));
    faulty_ = std::make_unique<FaultyDatabase>(db());
    auto platform = platform::Platform::Open(*faulty_, clock_, keyring_,
                                             {.password_cost = crypto::PasswordCost::kMinimal});
    ASSERT_THAT(platform, IsOk());
    platform_ = std::move(*platform);
    auto rides = Rides::Open(*faulty_, clock_, feed_, ext_);
    ASSERT_THAT(rides, IsOk());
    rides_ = std::move(*rides);

    auto citizen = platform_->citizens().Register({.name = "测试市民丙",
                                                   .id_number = "370282199003154516",
                                                   .phone = "13912345678",
                                                   .password = "correct horse"});
    ASSERT_THAT(citizen, IsOk());
    auto issued = platform_->devices().Enrol(
        {.citizen_id = *citizen, .device_key = device_.public_key(), .label = "phone"});
    ASSERT_THAT(issued, IsOk());
    credential_ = issued->credential;
    auto org = platform_->organisations().Create("即墨公交", platform::OrgKind::kTransitOperator);
    ASSERT_THAT(org, IsOk());
    auto site = platform_->organisations().CreateSite(org->id, "depot");
    ASSERT_THAT(site, IsOk());
    auto terminal = platform_->access_keys().CreateTerminal(org->id, site->id, "bus 1 validator");
    ASSERT_THAT(terminal, IsOk());
    auto gate = platform_->access_keys().Authenticate(terminal->second.token);
    ASSERT_THAT(gate, IsOk());
    gate_ = *gate;
    operators_ = std::make_unique<Operators>(*faulty_, *platform_, feed_);
    ASSERT_THAT(operators_->AddAgency(org->id, "jimo_bus"), IsOk());
    judge_ = std::make_unique<TapJudge>(*faulty_, *platform_, *operators_, feed_);
  }

  // A batch of fresh scans: new sequence numbers, new codes, one minute apart.
  std::vector<ScannedTap> NextBatch() {
    std::vector<ScannedTap> batch;
    for (int i = 0; i < kTapsPerUpload; ++i) {
      clock_.Advance(std::chrono::minutes(1));
      auto code = code::MakePresentation(
          {.credential = credential_, .made_at = clock_.Now(), .counter = ++counter_}, device_);
      EXPECT_THAT(code, IsOk());
      batch.push_back({.tap = {.sequence = ++sequence_,
                               .at = clock_.Now(),
                               .route_id = "bus_1",
                               .stop_id = "B101",
                               .kind = Tap::Kind::kBoard},
                       .code = code.ok() ? code::ToQrText(*code) : std::string()});
    }
    return batch;
  }

  Result<UploadResult> Upload(const std::vector<ScannedTap>& batch) {
    return UploadScannedTaps(*judge_, *rides_, gate_, batch);
  }

  std::int64_t Count(const std::string& from_where) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + from_where);
  }

  ManualClock clock_{Utc("2026-08-15T05:00:00Z")};
  Feed feed_;
  FareExtensions ext_;
  std::unique_ptr<Operators> operators_;
  std::unique_ptr<TapJudge> judge_;
  platform::Keyring keyring_ = platform::Keyring::Generate(crypto::CipherProfile::kAes256Gcm);
  crypto::PrivateKey device_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  Bytes credential_;
  std::unique_ptr<FaultyDatabase> faulty_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<Rides> rides_;
  platform::Principal gate_;
  std::uint64_t counter_ = 0;
  std::int64_t sequence_ = 0;
};

TEST_P(TapUploadFaultTest, AnUploadThatFailsAtAnyStepIsStoredWhollyWhenResent) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    std::vector<ScannedTap> batch = NextBatch();
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return Upload(batch).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          const std::int64_t before = Count("transit_tap_ids");
          auto resent = Upload(batch);
          ASSERT_THAT(resent, IsOk());
          EXPECT_EQ(resent->stored + resent->duplicates, kTapsPerUpload);
          EXPECT_EQ(resent->refused, 0);
          EXPECT_EQ(resent->conflicts, 0);
          EXPECT_EQ(Count("transit_tap_ids"), before + resent->stored);
          batch = NextBatch();
        });
    // Dedupe, record the codes (one commit), store and fare.
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 2 : 5);
  }
  EXPECT_EQ(Count("transit_refused_taps"), 0);
  EXPECT_EQ(Count("transit_tap_ids"), sequence_);
}

INSTANTIATE_TEST_SUITE_P(Backends, TapUploadFaultTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::transit
