#include "scenes/transit/clearing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenes/transit/ledger.h"
#include "scenes/transit/test_support.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;

using code::Channel;

constexpr char kRider[] = "citizen_a";
constexpr Date kNight{2026, 8, 15};
constexpr Date kOctober{2026, 10, 1};

class ClearingTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(LoadDemoFeed(feed_, ext_));
    auto rides = Rides::Open(db(), clock_, feed_, ext_);
    ASSERT_TRUE(rides.ok()) << rides.status().ToString();
    rides_ = std::move(rides).value();
    auto ledger = RiderLedger::Open(db(), clock_);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    auto clearing = Clearing::Open(db(), clock_, feed_);
    ASSERT_TRUE(clearing.ok()) << clearing.status().ToString();
    clearing_ = std::move(clearing).value();
  }

  // Bus 1 at 21:30 (base 200), bus 2 at 22:15 (200), metro M01→M06 at
  // 23:00 (500), local time on `day` (UTC 13:30 … 15:20), in the app.
  static std::vector<TapUpload> Rides3(const char* day, const char* rider = kRider,
                                       std::int64_t seq = 1) {
    auto at = [&](const char* time) { return Utc((std::string(day) + "T" + time + "Z").c_str()); };
    auto up = [&](Tap tap) { return TapUpload{.tap = std::move(tap), .rider_id = rider}; };
    return {
        up({"bus-bus_1", seq, at("13:30:00"), "bus_1", "B101", Tap::Kind::kBoard, Channel::kApp,
            ""}),
        up({"bus-bus_2", seq, at("14:15:00"), "bus_2", "B202", Tap::Kind::kBoard, Channel::kApp,
            ""}),
        up({"gate-M01", seq, at("15:00:00"), "metro_11", "M01", Tap::Kind::kEntry, Channel::kApp,
            ""}),
        up({"gate-M06", seq, at("15:20:00"), "metro_11", "M06", Tap::Kind::kExit, Channel::kApp,
            ""}),
    };
  }

  void MustUpload(const std::vector<TapUpload>& batch) {
    auto result = rides_->UploadTaps(batch);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }
  ClearingReport MustClear(const Date& day) {
    auto report = clearing_->RunClearing(day);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : ClearingReport{};
  }

  std::int64_t Count(const std::string& table) {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + table);
  }
  // The day's rider charges as the ledger has them (receivable rows of the
  // day's trips), independent of the clearing code.
  std::int64_t LedgerCharges(const std::string& day) {
    return QueryInt(
        "SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM transit_ledger_lines l JOIN "
        "transit_charges c ON c.trip_id = l.trip_id WHERE l.account = 'receivable' AND "
        "c.operating_day = '" +
        day + "'");
  }
  // The invariant: rider charges = operator settlements, to the fen.
  void ExpectBalanced(const ClearingReport& r, const std::string& day) {
    std::int64_t settled = 0;
    for (const OperatorSettlement& s : r.operators) {
      settled += s.settled;
      EXPECT_EQ(s.discount, s.base_total - s.settled - s.refunded) << s.agency_id;
    }
    EXPECT_EQ(settled, r.settled_total);
    EXPECT_EQ(r.rider_total, r.settled_total);
    EXPECT_EQ(LedgerCharges(day), settled);
  }
  // Each settlement as (agency, settled, delta).
  static std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> Split(
      const ClearingReport& r) {
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> out;
    for (const OperatorSettlement& s : r.operators)
      out.emplace_back(s.agency_id, s.settled, s.delta);
    return out;
  }

  ManualClock clock_{Utc("2026-08-16T02:00:00Z")};
  Feed feed_;
  FareExtensions ext_;
  std::unique_ptr<Rides> rides_;
  std::unique_ptr<RiderLedger> ledger_;
  std::unique_ptr<Clearing> clearing_;
};

// P = 100 over bases 200 + 200 + 500 = 900: 22.2 + 22.2 + 55.6 → 22 + 22 +
// 55, and the fen left over goes to the metro's remainder (500/900, the
// largest): 即墨公交 44, 青岛地铁 56.
TEST_P(ClearingTest, SummerNightSplitsTheHundredFenByBaseFare) {
  MustUpload(Rides3("2026-08-15"));
  const ClearingReport r = MustClear(kNight);
  EXPECT_EQ(r.operating_day, kNight);
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.trips, 3);
  EXPECT_EQ(r.rider_total, 100);
  ASSERT_EQ(r.operators.size(), 2u);
  const OperatorSettlement& bus = r.operators[0];
  EXPECT_EQ(bus.agency_id, "jimo_bus");
  EXPECT_EQ(bus.agency_name, "即墨公交");
  EXPECT_EQ(bus.trips, 2);
  EXPECT_EQ(bus.base_total, 400);
  EXPECT_EQ(bus.charged_total, 100);  // the cap put the 100 fen on bus 1
  EXPECT_EQ(bus.settled, 44);
  EXPECT_EQ(bus.discount, 356);
  EXPECT_EQ(bus.delta, 44);
  const OperatorSettlement& metro = r.operators[1];
  EXPECT_EQ(metro.agency_id, "qd_metro");
  EXPECT_EQ(metro.trips, 1);
  EXPECT_EQ(metro.base_total, 500);
  EXPECT_EQ(metro.charged_total, 0);
  EXPECT_EQ(metro.settled, 56);
  EXPECT_EQ(metro.discount, 444);
  ExpectBalanced(r, "20260815");
}

TEST_P(ClearingTest, TwoRidersNightsAreSplitApart) {
  MustUpload(Rides3("2026-08-15", "citizen_a", 1));
  MustUpload(Rides3("2026-08-15", "citizen_b", 2));
  const ClearingReport r = MustClear(kNight);
  EXPECT_EQ(Split(r), (decltype(Split(r)){{"jimo_bus", 88, 88}, {"qd_metro", 112, 112}}));
  ExpectBalanced(r, "20260815");
}

TEST_P(ClearingTest, DayWithoutPromotionSettlesFullCharges) {
  MustUpload(Rides3("2026-10-01"));
  const ClearingReport r = MustClear(kOctober);
  EXPECT_EQ(r.rider_total, 900);
  EXPECT_EQ(Split(r), (decltype(Split(r)){{"jimo_bus", 400, 400}, {"qd_metro", 500, 500}}));
  for (const OperatorSettlement& s : r.operators) {
    EXPECT_EQ(s.settled, s.charged_total);
    EXPECT_EQ(s.discount, 0);
  }
  ExpectBalanced(r, "20261001");
}

TEST_P(ClearingTest, SecondRunChangesNothing) {
  MustUpload(Rides3("2026-08-15"));
  const ClearingReport first = MustClear(kNight);
  const std::int64_t runs = Count("transit_clearing_runs");
  const std::int64_t rows = Count("transit_settlements");
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(rows, 2);
  clock_.Advance(std::chrono::hours(3));
  const ClearingReport second = MustClear(kNight);
  EXPECT_EQ(second, first);
  EXPECT_EQ(ClearingCsv(second), ClearingCsv(first));
  EXPECT_EQ(ClearingJson(second), ClearingJson(first));
  EXPECT_EQ(Count("transit_clearing_runs"), runs);
  EXPECT_EQ(Count("transit_settlements"), rows);
}

TEST_P(ClearingTest, EmptyDayClearsToNothingOnce) {
  const ClearingReport r = MustClear(kOctober);
  EXPECT_EQ(r.version, 1);
  EXPECT_TRUE(r.operators.empty());
  EXPECT_EQ(r.rider_total, 0);
  EXPECT_EQ(MustClear(kOctober), r);
  EXPECT_EQ(Count("transit_clearing_runs"), 1);
}

// The first bus's validator was offline: the night is cleared without it
// (bus 2 paid the 100 fen), then its tap arrives, the night is re-fared
// (bus 1 pays, bus 2 is given back 100) and the day is cleared again.
TEST_P(ClearingTest, LateTapsMakeANewVersionWithTheDifference) {
  const auto night = Rides3("2026-08-15");
  MustUpload({night[1], night[2], night[3]});
  // 100 over bases 200 + 500: 28.57 + 71.43 → 28 + 71, the fen left over to
  // bus 2's larger remainder (400/700 over 300/700).
  const ClearingReport v1 = MustClear(kNight);
  EXPECT_EQ(Split(v1), (decltype(Split(v1)){{"jimo_bus", 29, 29}, {"qd_metro", 71, 71}}));
  ExpectBalanced(v1, "20260815");

  clock_.Advance(std::chrono::hours(6));
  MustUpload({night[0]});
  auto bill = clearing_->DailyBill(kRider, kNight);
  ASSERT_TRUE(bill.ok()) << bill.status().ToString();
  EXPECT_EQ(bill->total, 100);
  ASSERT_EQ(bill->adjustments.size(), 1u);
  EXPECT_EQ(bill->adjustments[0].trip_id, "bus-bus_2:1");
  EXPECT_EQ(bill->adjustments[0].amount, -100);

  // The riders still paid 100 in all: the version moves 15 fen between the
  // operators and pays nothing twice.
  const ClearingReport v2 = MustClear(kNight);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.rider_total, 100);
  EXPECT_EQ(Split(v2), (decltype(Split(v2)){{"jimo_bus", 44, 15}, {"qd_metro", 56, -15}}));
  ExpectBalanced(v2, "20260815");
  EXPECT_EQ(MustClear(kNight), v2);

  // A WeChat bus ride at 22:00 that night, outside the app-only window,
  // comes in late: 200 fen more, wholly to the bus company.
  MustUpload({TapUpload{.tap = {"bus-bus_1", 9, Utc("2026-08-15T14:00:00Z"), "bus_1", "B102",
                                Tap::Kind::kBoard, Channel::kWechat, ""},
                        .rider_id = kRider}});
  const ClearingReport v3 = MustClear(kNight);
  EXPECT_EQ(v3.version, 3);
  EXPECT_EQ(v3.rider_total, 300);
  EXPECT_EQ(Split(v3), (decltype(Split(v3)){{"jimo_bus", 244, 200}, {"qd_metro", 56, 0}}));
  ExpectBalanced(v3, "20260815");
  // What was paid out over the versions is exactly what the riders owe.
  EXPECT_EQ(QueryInt("SELECT CAST(SUM(delta) AS BIGINT) FROM transit_settlements"), 300);
  EXPECT_EQ(Count("transit_clearing_runs"), 3);
  EXPECT_EQ(MustClear(kNight), v3);
  EXPECT_EQ(Count("transit_clearing_runs"), 3);
}

TEST_P(ClearingTest, DailyBill) {
  MustUpload(Rides3("2026-08-15"));
  auto bill = clearing_->DailyBill(kRider, kNight);
  ASSERT_TRUE(bill.ok()) << bill.status().ToString();
  ASSERT_EQ(bill->trips.size(), 3u);
  EXPECT_EQ(bill->trips[0].trip_id, "bus-bus_1:1");
  EXPECT_EQ(bill->trips[0].amount, 100);
  EXPECT_EQ(bill->trips[2].base_amount, 500);
  EXPECT_TRUE(bill->adjustments.empty());
  EXPECT_EQ(bill->total, 100);
  EXPECT_EQ(bill->balance, 100);
  auto paid = ledger_->RecordPayment(kRider, 100, "pay-1");
  ASSERT_TRUE(paid.ok()) << paid.status().ToString();
  bill = clearing_->DailyBill(kRider, kNight);
  ASSERT_TRUE(bill.ok());
  EXPECT_EQ(bill->total, 100);
  EXPECT_EQ(bill->balance, 0);
  const auto json = nlohmann::json::parse(BillJson(*bill));
  EXPECT_EQ(json["total"], 100);
  EXPECT_EQ(json["operating_day"], "2026-08-15");
  EXPECT_EQ(json["trips"].size(), 3u);
  auto nobody = clearing_->DailyBill("citizen_z", kNight);
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->trips.empty());
  EXPECT_EQ(nobody->total, 0);
}

// A refund of 300 of the October metro ride's 500 fen: the rider owes 300
// less, the metro is settled 300 less, and the day still balances; a repeat
// of the same refund changes nothing, and more than is left is refused.
TEST_P(ClearingTest, RefundsComeOffTheRiderAndTheCarryingOperator) {
  MustUpload(Rides3("2026-10-01"));
  const ClearingReport before = MustClear(kOctober);
  auto refund = [&](std::string_view trip, std::int64_t amount, std::string_view reference) {
    return ledger_->RefundTrip(trip, amount, reference, "gate M06 charged twice");
  };
  auto booked = refund("gate-M01:1", 300, "ref-1");
  ASSERT_TRUE(booked.ok()) << booked.status().ToString();
  EXPECT_TRUE(*booked);
  const std::int64_t ledger_rows = Count("transit_ledger");
  EXPECT_FALSE(*refund("gate-M01:1", 300, "ref-1")) << "the same refund again: nothing new";
  EXPECT_EQ(Count("transit_ledger"), ledger_rows);
  EXPECT_THAT(refund("gate-M01:1", 200, "ref-1"),
              StatusIs(StatusCode::kAlreadyExists, "already_exists"));
  auto too_much = refund("gate-M01:1", 201, "ref-2");
  EXPECT_THAT(too_much, StatusIs(StatusCode::kFailedPrecondition, "refund_exceeds_charge"));
  EXPECT_THAT(too_much, StatusIs(StatusCode::kFailedPrecondition, "refund_exceeds_charge"));
  EXPECT_THAT(refund("gate-M01:9", 1, "ref-3"), StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_THAT(refund("gate-M01:1", 0, "ref-4"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(refund("gate-M01:1", 1, ""),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(ledger_->RefundTrip("gate-M01:1", 1, "ref-5", ""),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(Count("transit_ledger"), ledger_rows) << "refusals book nothing";
  EXPECT_EQ(Count("transit_refunds"), 1);

  auto bill = clearing_->DailyBill(kRider, kOctober);
  ASSERT_TRUE(bill.ok()) << bill.status().ToString();
  EXPECT_EQ(bill->total, 600);
  EXPECT_EQ(bill->balance, 600);
  ASSERT_EQ(bill->refunds.size(), 1u);
  EXPECT_EQ(bill->refunds[0].amount, -300);
  EXPECT_EQ(nlohmann::json::parse(BillJson(*bill))["refunds"].size(), 1u);

  const ClearingReport after = MustClear(kOctober);
  EXPECT_EQ(after.version, before.version + 1);
  EXPECT_EQ(after.rider_total, 600);
  EXPECT_EQ(Split(after), (decltype(Split(after)){{"jimo_bus", 400, 0}, {"qd_metro", 200, -300}}));
  EXPECT_EQ(after.operators[1].refunded, 300);
  ExpectBalanced(after, "20261001");
  EXPECT_EQ(MustClear(kOctober), after);
}

TEST_P(ClearingTest, Reports) {
  MustUpload(Rides3("2026-08-15"));
  const ClearingReport r = MustClear(kNight);
  EXPECT_EQ(ClearingCsv(r),
            "operating_day,version,agency_id,agency_name,trips,base_total_fen,charged_fen,"
            "refunded_fen,discount_fen,settled_fen,delta_fen\r\n"
            "2026-08-15,1,jimo_bus,即墨公交,2,400,100,0,356,44,44\r\n"
            "2026-08-15,1,qd_metro,青岛地铁,1,500,0,0,444,56,56\r\n");
  const auto json = nlohmann::json::parse(ClearingJson(r));
  EXPECT_EQ(json["operating_day"], "2026-08-15");
  EXPECT_EQ(json["rider_total"], 100);
  EXPECT_EQ(json["settled_total"], 100);
  ASSERT_EQ(json["operators"].size(), 2u);
  EXPECT_EQ(json["operators"][1]["agency_id"], "qd_metro");
  EXPECT_EQ(json["operators"][1]["settled"], 56);
}

INSTANTIATE_TEST_SUITE_P(Backends, ClearingTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::transit
