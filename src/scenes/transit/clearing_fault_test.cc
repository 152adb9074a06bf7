// A clearing run with a storage failure at each step in turn: the error
// must reach the caller, no partial version may be stored (a run without its
// settlements, settlements without their run, a day's version that no run
// has), and the run without the fault must then store the next version.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "scenes/transit/clearing.h"
#include "scenes/transit/rides.h"
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
using code::Channel;

constexpr Date kNight{2026, 8, 15};

class ClearingFaultTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(LoadDemoFeed(feed_, ext_));
    faulty_ = std::make_unique<FaultyDatabase>(db());
    auto rides = Rides::Open(*faulty_, clock_, feed_, ext_);
    ASSERT_THAT(rides, IsOk());
    rides_ = std::move(rides).value();
    auto clearing = Clearing::Open(*faulty_, clock_, feed_);
    ASSERT_THAT(clearing, IsOk());
    clearing_ = std::move(clearing).value();
  }

  // A bus ride of a new rider on the night: the day changes, so the next
  // run must store a new version.
  void AnotherRider() {
    const std::string rider = "rider_" + std::to_string(++riders_);
    auto stored = rides_->UploadTaps(
        {TapUpload{.tap = {"bus-bus_1", riders_, Utc("2026-08-15T13:30:00Z"), "bus_1", "B101",
                           Tap::Kind::kBoard, Channel::kApp, ""},
                   .rider_id = rider}});
    ASSERT_THAT(stored, IsOk());
  }

  std::int64_t Count(const std::string& from_where) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + from_where);
  }
  std::int64_t DayVersion() {
    return QueryInt("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM transit_clearing_days");
  }

  // What must hold between any two runs, failed or not.
  void ExpectNoPartialVersion() {
    EXPECT_EQ(Count("transit_settlements s WHERE NOT EXISTS (SELECT 1 FROM transit_clearing_runs "
                    "r WHERE r.operating_day = s.operating_day AND r.version = s.version)"),
              0);
    EXPECT_EQ(Count("transit_clearing_runs r WHERE NOT EXISTS (SELECT 1 FROM transit_settlements "
                    "s WHERE s.operating_day = r.operating_day AND s.version = r.version)"),
              0);
    // The day's version is its latest stored run (no row while none is).
    EXPECT_EQ(DayVersion(), QueryInt("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM "
                                     "transit_clearing_runs"));
    EXPECT_EQ(Count("transit_clearing_days WHERE version = 0"), 0);
  }

  ManualClock clock_{Utc("2026-08-16T02:00:00Z")};
  Feed feed_;
  FareExtensions ext_;
  std::unique_ptr<FaultyDatabase> faulty_;
  std::unique_ptr<Rides> rides_;
  std::unique_ptr<Clearing> clearing_;
  std::int64_t riders_ = 0;
};

TEST_P(ClearingFaultTest, ARunThatFailsAtAnyStepStoresNoPartOfItsVersion) {
  for (const StorageFailure& failure : kStorageFailures) {
    SCOPED_TRACE(failure.name);
    ASSERT_NO_FATAL_FAILURE(AnotherRider());
    const int steps = InjectAtEachStep(
        *faulty_, {.point = failure.point, .error = failure.error, .sticky = failure.sticky},
        [&] { return clearing_->RunClearing(kNight).status(); },
        [&](int, const Status& status) {
          EXPECT_THAT(status, StatusIs(failure.code, failure.reason));
          const std::int64_t version = DayVersion();
          ExpectNoPartialVersion();
          auto report = clearing_->RunClearing(kNight);
          ASSERT_THAT(report, IsOk());
          EXPECT_EQ(report->version, version + 1);
          EXPECT_EQ(report->rider_total, report->settled_total);
          EXPECT_EQ(DayVersion(), version + 1);
          ExpectNoPartialVersion();
          ASSERT_NO_FATAL_FAILURE(AnotherRider());
        });
    // Claim the day, read it, compute, store the run and each settlement.
    EXPECT_GE(steps, failure.point == FaultPoint::kCommit ? 1 : 5);
    ExpectNoPartialVersion();
    // The run that met no fault cleared the last rider: nothing is left to store.
    const std::int64_t version = DayVersion();
    auto again = clearing_->RunClearing(kNight);
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(again->version, version);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ClearingFaultTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::transit
