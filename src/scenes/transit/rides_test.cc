#include "scenes/transit/rides.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "scenes/transit/bulk_taps.h"
#include "scenes/transit/internal/faring.h"
#include "scenes/transit/ledger.h"
#include "scenes/transit/schema.h"
#include "scenes/transit/test_support.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::transit {
namespace {

using ::citycode::testing::StatusIs;

using code::Channel;

constexpr char kRider[] = "citizen_a";
constexpr Date kNight{2026, 8, 15};

class RidesTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(LoadDemoFeed(feed_, ext_));
    auto rides = Rides::Open(db(), clock_, feed_, ext_);
    ASSERT_TRUE(rides.ok()) << rides.status().ToString();
    rides_ = std::move(rides).value();
    auto bulk = BulkTaps::Open(db(), clock_, feed_, ext_);
    ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
    bulk_ = std::move(bulk).value();
    auto ledger = RiderLedger::Open(db(), clock_);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
  }

  static TapUpload Upload(Tap tap, const char* rider = kRider) {
    return TapUpload{.tap = std::move(tap), .rider_id = rider};
  }
  // Two bus rides and a metro ride (M01→M06) on the night of 15 Aug, shown
  // in the app, 21:30-23:20 local: 100 fen in all (fare_engine_test.cc).
  static std::vector<TapUpload> Night(const char* rider = kRider) {
    return {
        Upload({"bus-bus_1", 1, Utc("2026-08-15T13:30:00Z"), "bus_1", "B101", Tap::Kind::kBoard,
                Channel::kApp, ""},
               rider),
        Upload({"bus-bus_2", 1, Utc("2026-08-15T14:15:00Z"), "bus_2", "B202", Tap::Kind::kBoard,
                Channel::kApp, ""},
               rider),
        Upload({"gate-M01", 7, Utc("2026-08-15T15:00:00Z"), "metro_11", "M01", Tap::Kind::kEntry,
                Channel::kApp, ""},
               rider),
        Upload({"gate-M06", 9, Utc("2026-08-15T15:20:00Z"), "metro_11", "M06", Tap::Kind::kExit,
                Channel::kApp, ""},
               rider),
    };
  }

  UploadResult MustUpload(const std::vector<TapUpload>& batch) {
    auto result = rides_->UploadTaps(batch);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : UploadResult{};
  }

  std::int64_t Count(const std::string& table, const std::string& where = "1 = 1") {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + table + " WHERE " + where);
  }
  std::int64_t LedgerSum(const std::string& where = "1 = 1") {
    return QueryInt(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transit_ledger_lines "
        "WHERE " +
        where);
  }
  std::int64_t NightTotal(const char* rider = kRider) {
    auto charges = rides_->RiderCharges(rider, kNight);
    EXPECT_TRUE(charges.ok()) << charges.status().ToString();
    std::int64_t sum = 0;
    if (charges.ok()) {
      for (const StoredCharge& c : *charges) sum += c.amount;
    }
    return sum;
  }
  // The balance kept on the rider's row, checked against the ledger.
  std::int64_t Balance(const char* rider = kRider) {
    auto balance = ledger_->RiderBalance(rider);
    EXPECT_TRUE(balance.ok()) << balance.status().ToString();
    if (!balance.ok()) return -1;
    EXPECT_EQ(*balance,
              LedgerSum("account = 'receivable' AND rider_id = '" + std::string(rider) + "'"));
    return *balance;
  }
  // What a clean upload of the night leaves, to compare other orders with.
  struct Snapshot {
    std::vector<std::pair<std::string, std::int64_t>> charges;
    std::int64_t balance = 0;
    friend bool operator==(const Snapshot&, const Snapshot&) = default;
  };
  Snapshot Snap() {
    Snapshot s;
    auto charges = rides_->RiderCharges(kRider, kNight);
    EXPECT_TRUE(charges.ok());
    if (charges.ok()) {
      for (const StoredCharge& c : *charges) {
        if (c.amount != 0 || c.rules.rfind("void", 0) != 0)
          s.charges.emplace_back(c.trip_id, c.amount);
      }
    }
    s.balance = Balance();
    return s;
  }

  ManualClock clock_{Utc("2026-08-16T02:00:00Z")};
  Feed feed_;
  FareExtensions ext_;
  std::unique_ptr<Rides> rides_;
  std::unique_ptr<BulkTaps> bulk_;
  std::unique_ptr<RiderLedger> ledger_;
};

// The expected trips of the night: the first bus pays the 100 fen cap.
const std::vector<std::pair<std::string, std::int64_t>> kNightCharges = {
    {"bus-bus_1:1", 100}, {"bus-bus_2:1", 0}, {"gate-M01:7", 0}};

TEST_P(RidesTest, SummerNightCosts100Fen) {
  EXPECT_EQ(MustUpload(Night()), (UploadResult{.stored = 4, .duplicates = 0, .refused = 0}));
  auto charges = rides_->RiderCharges(kRider, kNight);
  ASSERT_TRUE(charges.ok()) << charges.status().ToString();
  ASSERT_EQ(charges->size(), 3u);
  EXPECT_EQ((*charges)[0].trip_id, "bus-bus_1:1");
  EXPECT_EQ((*charges)[0].amount, 100);
  EXPECT_EQ((*charges)[0].base_amount, 200);
  EXPECT_EQ((*charges)[0].agency_id, "jimo_bus");
  EXPECT_NE((*charges)[0].rules.find("window=summer_night_2026@20260815"), std::string::npos)
      << (*charges)[0].rules;
  EXPECT_EQ((*charges)[2].trip_id, "gate-M01:7");
  EXPECT_EQ((*charges)[2].base_amount, 500);
  EXPECT_EQ((*charges)[2].agency_id, "qd_metro");
  EXPECT_EQ(NightTotal(), 100);
  EXPECT_EQ(Snap().charges, kNightCharges);
  EXPECT_EQ(Balance(), 100);
  // One posting (two rows) for the one non-zero charge.
  EXPECT_EQ(Count("transit_ledger"), 1) << "one posting";
  EXPECT_EQ(Count("transit_ledger_lines"), 2) << "of two entries";
  EXPECT_EQ(LedgerSum("account = 'revenue:jimo_bus'"), -100);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(RidesTest, SameBatchTwiceChangesNothing) {
  MustUpload(Night());
  const Snapshot once = Snap();
  const std::int64_t rows = Count("transit_ledger");
  EXPECT_EQ(MustUpload(Night()), (UploadResult{.stored = 0, .duplicates = 4, .refused = 0}));
  EXPECT_EQ(Snap(), once);
  EXPECT_EQ(Count("transit_ledger"), rows);
  EXPECT_EQ(Count("transit_taps"), 4);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(RidesTest, BatchCutOffHalfwayThenResent) {
  const auto night = Night();
  EXPECT_EQ(MustUpload({night.begin(), night.begin() + 2}).stored, 2);
  EXPECT_EQ(MustUpload(night), (UploadResult{.stored = 2, .duplicates = 2, .refused = 0}));
  EXPECT_EQ(Snap().charges, kNightCharges);
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(Count("transit_taps"), 4);
  EXPECT_EQ(Count("transit_ledger", "kind = 'adjustment'"), 0);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(RidesTest, ReverseOrderOneTapPerUpload) {
  auto night = Night();
  std::reverse(night.begin(), night.end());
  for (const TapUpload& tap : night) {
    EXPECT_EQ(MustUpload({tap}).stored, 1);
    EXPECT_EQ(NightTotal(), 100);  // capped after every upload, never more
    EXPECT_EQ(Balance(), 100);
    EXPECT_EQ(LedgerSum(), 0);
    clock_.Advance(std::chrono::minutes(1));
  }
  EXPECT_EQ(Snap().charges, kNightCharges);
  // The exit alone was a trip (a missing tap-in) until its entry came; it
  // stays, voided, at 0.
  auto charges = rides_->RiderCharges(kRider, kNight);
  ASSERT_TRUE(charges.ok());
  EXPECT_EQ(charges->size(), 4u);
  // Each newly earliest ride took the 100 fen from the one before: the
  // adjustments are what turned the charges into the clean night's.
  EXPECT_GT(Count("transit_ledger", "kind = 'adjustment'"), 0);
  EXPECT_EQ(LedgerSum("account = 'receivable' AND kind = 'charge'") +
                LedgerSum("account = 'receivable' AND kind = 'adjustment'"),
            100);
  EXPECT_EQ(LedgerSum("account = 'receivable' AND kind = 'adjustment'"),
            100 - LedgerSum("account = 'receivable' AND kind = 'charge'"));
  EXPECT_LT(LedgerSum("account = 'receivable' AND kind = 'adjustment'"), 0);
}

// The bulk path: batches stored in reverse order and one repeated, then
// fared from the queue, give the clean upload's charges; a ride that
// arrives after the queue was fared is queued and fared again.
TEST_P(RidesTest, BulkIngestThenFarePendingMatchesAnUpload) {
  auto night = Night();
  auto other = Night("citizen_b");
  for (TapUpload& u : other) u.tap.terminal_id += "-b";
  std::reverse(night.begin(), night.end());
  auto ingest = [&](std::vector<TapUpload> batch) {
    auto result = bulk_->Ingest(batch);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : UploadResult{};
  };
  EXPECT_EQ(ingest({night[0], night[1], other[0], other[1]}).stored, 4);
  EXPECT_EQ(ingest({night[2], night[3], other[2], other[3]}).stored, 4);
  EXPECT_EQ(ingest({night[2], night[3]}),
            (UploadResult{.stored = 0, .duplicates = 2, .refused = 0}));
  EXPECT_EQ(Count("transit_charges"), 0) << "ingest stores, it does not fare";
  EXPECT_EQ(Count("transit_inbox"), 8);
  EXPECT_EQ(Count("transit_taps"), 0);

  // One rider bucket per call, until the queue is empty.
  auto fare_all = [&] {
    std::int64_t riders = 0;
    for (int call = 0; call <= kRiderBuckets; ++call) {
      auto fared = bulk_->FarePending();
      EXPECT_TRUE(fared.ok()) << fared.status().ToString();
      if (!fared.ok() || *fared == 0) break;
      riders += *fared;
    }
    return riders;
  };
  const bool same_bucket = RiderBucket(kRider) == RiderBucket("citizen_b");
  auto first = bulk_->FarePending();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, same_bucket ? 2 : 1);
  EXPECT_EQ(Count("transit_inbox"), same_bucket ? 0 : 4);
  EXPECT_EQ(fare_all(), same_bucket ? 0 : 1);
  EXPECT_EQ(Snap().charges, kNightCharges);
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(Balance("citizen_b"), 100);
  EXPECT_EQ(Count("transit_ledger", "kind = 'adjustment'"), 0) << "fared once, in full";
  EXPECT_EQ(Count("transit_inbox"), 0);
  EXPECT_EQ(Count("transit_taps"), 8);

  // An earlier ride arrives late: queued, then fared as a correction.
  EXPECT_EQ(ingest({Upload({"bus-bus_1", 0, Utc("2026-08-15T13:10:00Z"), "bus_1", "B101",
                            Tap::Kind::kBoard, Channel::kApp, ""})})
                .stored,
            1);
  EXPECT_EQ(fare_all(), 1);
  EXPECT_EQ(NightTotal(), 100);
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(Count("transit_ledger", "kind = 'adjustment'"), 1) << "100 fen moved to the new ride";
  EXPECT_EQ(LedgerSum(), 0);
}

// One bucket's faring with riders of three kinds: one whose night was
// partly fared before (by an upload: re-fared from its stored taps and
// charges), one seen for the first time (fared from the new taps alone),
// and one whose taps span more than a week (re-fared). Each ends as clean
// uploads would leave it.
TEST_P(RidesTest, ABucketsRidersAreFaredAsUploadsWouldFareThem) {
  std::vector<std::string> same;  // riders in kRider's bucket
  for (int n = 0; same.size() < 2; ++n) {
    std::string id = "rider_" + std::to_string(n);
    if (RiderBucket(id) == RiderBucket(kRider)) same.push_back(std::move(id));
  }
  const auto night = Night();
  MustUpload({night[0], night[1]});
  std::vector<TapUpload> batch = {night[2], night[3]};
  for (std::size_t r = 0; r < same.size(); ++r) {
    for (TapUpload u : Night(same[r].c_str())) {
      u.tap.terminal_id += "-" + std::to_string(r);
      batch.push_back(std::move(u));
    }
  }
  constexpr Date kLater{2026, 8, 24};
  batch.push_back(Upload({"bus-bus_1-1", 5, Utc("2026-08-24T03:30:00Z"), "bus_1", "B101",
                          Tap::Kind::kBoard, Channel::kApp, ""},
                         same[1].c_str()));
  auto ingested = bulk_->Ingest(batch);
  ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
  EXPECT_EQ(ingested->stored, 11);

  auto fared = bulk_->FarePending();
  ASSERT_TRUE(fared.ok()) << fared.status().ToString();
  EXPECT_EQ(*fared, 3);
  EXPECT_EQ(Count("transit_inbox"), 0);
  EXPECT_EQ(Snap().charges, kNightCharges);
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(NightTotal(same[0].c_str()), 100);
  EXPECT_EQ(Balance(same[0].c_str()), 100);
  EXPECT_EQ(NightTotal(same[1].c_str()), 100);
  auto later = rides_->RiderCharges(same[1], kLater);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  ASSERT_EQ(later->size(), 1u);
  EXPECT_GT(later->front().amount, 0);
  EXPECT_EQ(Balance(same[1].c_str()), 100 + later->front().amount);
  EXPECT_EQ(Count("transit_ledger", "kind = 'adjustment'"), 0);
  EXPECT_EQ(LedgerSum(), 0);
}

// Two workers fare the queue at once: each rider is fared once, in full (on
// PostgreSQL the second one to reach a bucket waits, finds it taken and
// moves on).
TEST_P(RidesTest, TwoFaringsAtOnceFareEachRiderOnce) {
  std::vector<std::string> riders;
  std::vector<TapUpload> batch;
  for (int r = 0; r < 40; ++r) {
    riders.push_back("rider_" + std::to_string(r));
    for (TapUpload& u : Night(riders.back().c_str())) {
      u.tap.terminal_id += "-" + std::to_string(r);
      batch.push_back(std::move(u));
    }
  }
  auto ingested = bulk_->Ingest(batch);
  ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
  std::atomic<std::int64_t> fared{0};
  auto worker = [&] {
    for (;;) {
      auto n = bulk_->FarePending();
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0) return;
      fared += *n;
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  EXPECT_EQ(fared.load(), 40);
  EXPECT_EQ(Count("transit_inbox"), 0);
  EXPECT_EQ(Count("transit_taps"), 160);
  EXPECT_EQ(Count("transit_ledger", "kind = 'adjustment'"), 0) << "fared once, in full";
  for (const std::string& rider : riders) {
    EXPECT_EQ(NightTotal(rider.c_str()), 100) << rider;
    EXPECT_EQ(Balance(rider.c_str()), 100) << rider;
  }
}

TEST_P(RidesTest, LateOfflineBatchIsAnAdjustment) {
  const auto night = Night();
  // The second bus and the metro come in online and are billed: the bus
  // pays the night's 100 fen.
  MustUpload({night[1], night[2], night[3]});
  EXPECT_EQ(NightTotal(), 100);
  auto before = rides_->RiderCharges(kRider, kNight);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->size(), 2u);
  EXPECT_EQ((*before)[0].trip_id, "bus-bus_2:1");
  EXPECT_EQ((*before)[0].amount, 100);
  // Next morning, the first bus's offline validator uploads its earlier tap.
  clock_.Advance(std::chrono::hours(6));
  EXPECT_EQ(MustUpload({night[0]}).stored, 1);
  EXPECT_EQ(Snap().charges, kNightCharges);
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(Count("transit_ledger", "kind = 'adjustment'"), 1);
  EXPECT_EQ(LedgerSum("kind = 'adjustment' AND account = 'receivable'"), -100);
  EXPECT_EQ(LedgerSum("kind = 'adjustment' AND trip_id = 'bus-bus_2:1' AND account = "
                      "'receivable'"),
            -100);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(RidesTest, LateRideAfterTheCapCostsNothing) {
  const auto night = Night();
  MustUpload({night[0], night[1]});
  EXPECT_EQ(Balance(), 100);
  const std::int64_t rows = Count("transit_ledger");
  MustUpload({night[2], night[3]});
  EXPECT_EQ(Snap().charges, kNightCharges);
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(Count("transit_ledger"), rows);  // a 0 fen trip books nothing
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(RidesTest, MetroRideAcrossTheDayBoundary) {
  // In at 03:50 local (operating day 15 Aug, in the night window), out at
  // 04:10 (operating day 16 Aug). The exit arrives first: alone it is a
  // missing tap-in on the 16th at the maximum fare, outside the window.
  const TapUpload in = Upload({"gate-M01", 20, Utc("2026-08-15T19:50:00Z"), "metro_11", "M01",
                               Tap::Kind::kEntry, Channel::kApp, ""});
  const TapUpload out = Upload({"gate-M06", 21, Utc("2026-08-15T20:10:00Z"), "metro_11", "M06",
                                Tap::Kind::kExit, Channel::kApp, ""});
  MustUpload({out});
  const std::int64_t missing_tap_in = Balance();
  EXPECT_GT(missing_tap_in, 100);
  // The entry re-fares its neighbour day too: one trip on the 15th, in the
  // window, and the exit-only trip on the 16th given back.
  MustUpload({in});
  EXPECT_EQ(NightTotal(), 100);
  auto next_day = rides_->RiderCharges(kRider, kNight.AddDays(1));
  ASSERT_TRUE(next_day.ok());
  ASSERT_EQ(next_day->size(), 1u);
  EXPECT_EQ((*next_day)[0].trip_id, "gate-M06:21");
  EXPECT_EQ((*next_day)[0].amount, 0);
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(LedgerSum("kind = 'adjustment' AND account = 'receivable'"), -missing_tap_in);
  EXPECT_EQ(LedgerSum(), 0);
  // Every posting balances on its own.
  EXPECT_EQ(
      QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT posting_id FROM transit_ledger_lines "
               "GROUP BY posting_id HAVING SUM(amount) <> 0) AS unbalanced"),
      0);
}

TEST_P(RidesTest, RidersAreFaredApart) {
  MustUpload(Night("citizen_a"));
  auto other = Night("citizen_b");
  for (TapUpload& u : other) u.tap.sequence += 100;
  MustUpload(other);
  EXPECT_EQ(Balance("citizen_a"), 100);
  EXPECT_EQ(Balance("citizen_b"), 100);
  EXPECT_EQ(NightTotal("citizen_b"), 100);
  EXPECT_EQ(LedgerSum(), 0);
}

// A charge's rules are read back for the window and cap totals: a feed's
// ids may hold the text's separators.
TEST(ChargeRulesTest, IdsWithSeparatorsReadBackExactly) {
  Charge c;
  c.rider_category_id = "a;window=b@20260101";
  c.fare_product_id = "p;daily_cap";
  c.window_id = "night=%41@x";
  c.window_night = Date{2026, 8, 15};
  const std::string rules = internal::RulesText(c);
  Charge back;
  ASSERT_TRUE(internal::ParseRules(rules, back).ok()) << rules;
  EXPECT_EQ(back.rider_category_id, c.rider_category_id);
  EXPECT_EQ(back.window_id, c.window_id);
  EXPECT_EQ(back.window_night, c.window_night);
  EXPECT_FALSE(back.daily_cap_applied);
  c.daily_cap_applied = true;
  ASSERT_TRUE(internal::ParseRules(internal::RulesText(c), back).ok());
  EXPECT_TRUE(back.daily_cap_applied);

  // Plain ids are stored as before the escaping.
  Charge plain;
  plain.rider_category_id = "adult";
  EXPECT_EQ(internal::RulesText(plain), "kind=board;category=adult;channel=app");

  EXPECT_THAT(internal::ParseRules("kind=board;category=a%4", back),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(internal::ParseRules("kind=board;window=w@2026", back),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

// A random rider's taps over three nights: buses and metro trips around
// the night window and the 04:00 day boundary, some as a senior, some by
// card.
std::vector<Tap> RandomTaps(std::mt19937& random, int count) {
  const Instant from = Utc("2026-08-15T10:00:00Z");  // 18:00 local
  std::uniform_int_distribution<int> minute(0, 3 * 24 * 60), night_minute(0, 11 * 60);
  std::uniform_int_distribution<int> pick(0, 5);
  const char* bus_stops[] = {"B101", "B102", "B103", "B104", "B101", "B102"};
  std::vector<Tap> taps;
  for (int i = 0; i < count; ++i) {
    Tap t;
    t.terminal_id = "t" + std::to_string(pick(random));
    t.sequence = i;
    // Half at night, 20:00-07:00 local, where the windows and the day
    // boundary are.
    t.at = pick(random) < 3 ? from + std::chrono::minutes(minute(random))
                            : from + std::chrono::hours(2 + 24 * (pick(random) % 3)) +
                                  std::chrono::minutes(night_minute(random));
    if (pick(random) < 2) {
      t.route_id = "bus_1";
      t.stop_id = bus_stops[pick(random)];
    } else {
      t.route_id = "metro_11";
      t.stop_id = "M0" + std::to_string(1 + pick(random));
      t.kind = pick(random) < 3 ? Tap::Kind::kEntry : Tap::Kind::kExit;
    }
    if (pick(random) < 2) t.channel = Channel::kCard;
    if (pick(random) == 0) t.rider_category_id = "senior";
    taps.push_back(std::move(t));
  }
  return taps;
}

// However a rider's taps arrive — in order, shuffled, one by one or in
// batches — each upload leaves the charges and the balance that faring all
// the taps so far at once gives. A re-fare starts at the first new tap and
// takes the earlier trips' window and cap totals from their charges; this
// checks those totals, the entry a new exit completes and the late tap.
TEST_P(RidesTest, AnyUploadOrderLeavesTheChargesOfFaringAllTapsAtOnce) {
  ext_.daily_caps.push_back({.rider_category_id = "adult", .cap_amount = 900});
  ext_.daily_caps.push_back({.rider_category_id = "senior", .cap_amount = 250});
  // A card window whose nights run past the 04:00 day boundary: its
  // morning trips count with the evening's of the operating day before.
  ext_.windows.push_back({.id = "to_six_by_card",
                          .start_date = {2026, 7, 1},
                          .end_date = {2026, 9, 30},
                          .start = 22 * 3600,
                          .end = 6 * 3600,
                          .channels = {Channel::kCard},
                          .cap_amount = 150});
  for (unsigned seed = 1; seed <= 24; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    const std::string rider = "rider_" + std::to_string(seed);
    std::vector<Tap> taps = RandomTaps(random, 40);
    for (Tap& t : taps) t.terminal_id += "_" + rider;
    if (seed % 3 != 0) {
      std::sort(taps.begin(), taps.end(), [](const Tap& a, const Tap& b) { return a.at < b.at; });
    }
    if (seed % 3 == 1) std::shuffle(taps.begin(), taps.end(), random);
    std::vector<Tap> sent;
    std::uniform_int_distribution<std::size_t> batch_size(1, 6);
    for (std::size_t i = 0; i < taps.size();) {
      std::vector<TapUpload> batch;
      for (std::size_t n = batch_size(random); n > 0 && i < taps.size(); --n, ++i) {
        batch.push_back(Upload(taps[i], rider.c_str()));
        sent.push_back(taps[i]);
      }
      ASSERT_EQ(MustUpload(batch).stored, static_cast<std::int64_t>(batch.size()));

      std::vector<std::pair<std::string, std::int64_t>> want, got;
      std::int64_t total = 0;
      for (const Charge& c : FareTaps(feed_, ext_, sent)) {
        want.emplace_back(c.trip_id, c.amount);
        total += c.amount;
      }
      for (Date day = kNight.AddDays(-1); day <= kNight.AddDays(4); day = day.AddDays(1)) {
        auto charges = rides_->RiderCharges(rider, day);
        ASSERT_TRUE(charges.ok()) << charges.status().ToString();
        for (const StoredCharge& c : *charges) {
          if (c.rules != kVoidTripRules) got.emplace_back(c.trip_id, c.amount);
        }
      }
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      ASSERT_EQ(got, want) << "after " << sent.size() << " taps";
      ASSERT_EQ(Balance(rider.c_str()), total);
    }
  }
  EXPECT_EQ(LedgerSum(), 0);
}

// An identity stored before that comes back with another time or rider is
// a conflict: counted apart from duplicates, not stored, nothing re-fared.
TEST_P(RidesTest, AnIdentityReusedForAnotherTapIsAConflict) {
  MustUpload(Night());
  const Snapshot before = Snap();
  TapUpload later = Night()[0];
  later.tap.at += std::chrono::hours(1);
  TapUpload other_rider = Night("citizen_b")[1];
  EXPECT_EQ(MustUpload({later, other_rider, Night()[2]}),
            (UploadResult{.stored = 0, .duplicates = 1, .refused = 0, .conflicts = 2}));
  EXPECT_EQ(Snap(), before);
  EXPECT_EQ(Count("transit_tap_ids"), 4);
  auto ingested = bulk_->Ingest({later});
  ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
  EXPECT_EQ(ingested->conflicts, 1);
  EXPECT_EQ(Count("transit_inbox"), 0);
}

TEST_P(RidesTest, RefusedTapIsKeptAndNotFared) {
  auto batch = Night();
  TapUpload refused = Upload({"bus-bus_1", 2, Utc("2026-08-15T13:40:00Z"), "bus_1", "B102",
                              Tap::Kind::kBoard, Channel::kApp, ""},
                             "");
  refused.valid = false;
  refused.refused_reason = "expired";
  batch.push_back(refused);
  EXPECT_EQ(MustUpload(batch), (UploadResult{.stored = 5, .duplicates = 0, .refused = 1}));
  EXPECT_EQ(Count("transit_refused_taps", "refused_reason = 'expired'"), 1);
  EXPECT_EQ(Count("transit_taps"), 4) << "only the valid taps are fared";
  EXPECT_EQ(Snap().charges, kNightCharges);
  EXPECT_EQ(Count("transit_charges", "trip_id = 'bus-bus_1:2'"), 0);
  // Sent again: a duplicate like any other tap.
  EXPECT_EQ(MustUpload({refused}), (UploadResult{.stored = 0, .duplicates = 1, .refused = 0}));
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(RidesTest, BadInputChangesNothing) {
  MustUpload({Night()[0]});
  const std::int64_t taps = Count("transit_taps"), charges = Count("transit_charges"),
                     ledger = Count("transit_ledger");
  auto expect_refused = [&](std::vector<TapUpload> batch, const std::string& index) {
    EXPECT_THAT(rides_->UploadTaps(batch),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                         ::testing::HasSubstr("tap " + index + ":")));
    EXPECT_EQ(Count("transit_taps"), taps);
    EXPECT_EQ(Count("transit_charges"), charges);
    EXPECT_EQ(Count("transit_ledger"), ledger);
  };
  auto bad = Night();
  bad[2].tap.route_id = "metro_99";
  expect_refused(bad, "2");
  bad = Night();
  bad[3].tap.stop_id = "M99";
  expect_refused(bad, "3");
  bad = Night();
  bad[1].tap.sequence = -1;
  expect_refused(bad, "1");
  bad = Night();
  bad[1].tap.terminal_id = "";
  expect_refused(bad, "1");
  bad = Night();
  bad[2].rider_id = "";
  expect_refused(bad, "2");
  bad = Night();
  bad[0].tap.rider_category_id = "astronaut";
  expect_refused(bad, "0");
  bad = Night();
  bad[1].rider_id = std::string(kMaxTapIdBytes + 1, 'x');
  expect_refused(bad, "1");
  bad = Night();
  bad[3].valid = false;  // refused without a reason
  expect_refused(bad, "3");
  bad = Night();
  bad[0].refused_reason = "a valid tap has none";
  expect_refused(bad, "0");
  EXPECT_EQ(Balance(), 100);
}

TEST_P(RidesTest, PaymentsAreIdempotentByReference) {
  MustUpload(Night());
  auto paid = ledger_->RecordPayment(kRider, 100, "pay-0001");
  ASSERT_TRUE(paid.ok()) << paid.status().ToString();
  EXPECT_TRUE(*paid);
  EXPECT_EQ(Balance(), 0);
  paid = ledger_->RecordPayment(kRider, 100, "pay-0001");
  ASSERT_TRUE(paid.ok()) << paid.status().ToString();
  EXPECT_FALSE(*paid);
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(Count("transit_ledger", "kind = 'payment'"), 1);
  EXPECT_EQ(LedgerSum("account = 'cash'"), 100);
  EXPECT_THAT(ledger_->RecordPayment(kRider, 50, "pay-0001"),
              StatusIs(StatusCode::kAlreadyExists, "already_exists"));
  EXPECT_THAT(ledger_->RecordPayment(kRider, 0, "pay-0002"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(ledger_->RecordPayment(kRider, 10, ""),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(RidesTest, OpensTwice) {
  // The migrations are recorded: a second Open (another process) is fine.
  auto again = Rides::Open(db(), clock_, feed_, ext_);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, RidesTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

// A database written before migration 3005, with the tables of 3001-3004,
// keeps everything when a Rides opens it: taps (refused ones too), charges,
// postings, balances, refunds and the bulk queue.
class RidesUpgradeTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(LoadDemoFeed(feed_, ext_));
    ASSERT_TRUE(db().Migrate(TransitMigrations().first(4)).ok());
  }
  void Run(const std::string& sql) {
    Status status =
        store::RunInTransaction(db(), store::TransactionMode::kWrite,
                                [&](store::Transaction& tx) { return tx.Execute(sql).status(); });
    ASSERT_TRUE(status.ok()) << status.ToString() << " in " << sql;
  }
  std::int64_t Count(const std::string& table, const std::string& where = "1 = 1") {
    return QueryInt("SELECT CAST(COUNT(*) AS BIGINT) FROM " + table + " WHERE " + where);
  }
  template <typename T>
  static T Ok(Result<T> result) {
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *std::move(result) : T{};
  }

  ManualClock clock_{Utc("2026-08-16T01:00:00Z")};
  Feed feed_;
  FareExtensions ext_;
};

TEST_P(RidesUpgradeTest, RowsStoredBeforeTheBulkLayoutAreMovedIntoIt) {
  // citizen_a: the night's first bus, fared (100 fen), 30 fen paid and 10
  // refunded; a refused tap; citizen_b: a bus tap queued by a bulk ingest.
  constexpr char kTap[] =
      "INSERT INTO transit_taps (terminal_id, sequence, rider_id, at, operating_day, route_id, "
      "stop_id, kind, channel, rider_category_id, valid, refused_reason, uploaded_at) VALUES ";
  ASSERT_NO_FATAL_FAILURE(Run(std::string(kTap) +
                              "('bus-bus_1', 1, 'citizen_a', 1786800600, '20260815', 'bus_1', "
                              "'B101', 'board', 'app', '', 1, '', 1786800700)"));
  ASSERT_NO_FATAL_FAILURE(Run(std::string(kTap) +
                              "('bus-bus_1', 2, '', 1786801200, '20260815', 'bus_1', 'B102', "
                              "'board', 'app', '', 0, 'expired', 1786801300)"));
  ASSERT_NO_FATAL_FAILURE(Run(std::string(kTap) +
                              "('bus-bus_1-b', 1, 'citizen_b', 1786800600, '20260815', 'bus_1', "
                              "'B101', 'board', 'app', '', 1, '', 1786800700)"));
  ASSERT_NO_FATAL_FAILURE(
      Run("INSERT INTO transit_pending (rider_id, operating_day, generation) "
          "VALUES ('citizen_b', '20260815', 0)"));
  ASSERT_NO_FATAL_FAILURE(
      Run("INSERT INTO transit_charges (trip_id, rider_id, operating_day, start_at, amount, "
          "base_amount, agency_id, rules, updated_at) VALUES ('bus-bus_1:1', 'citizen_a', "
          "'20260815', 1786800600, 100, 200, 'jimo_bus', 'kind=board', 1786800700)"));
  constexpr char kPosting[] =
      "INSERT INTO transit_ledger (id, posting_id, at, rider_id, account, amount, kind, "
      "trip_id, memo) VALUES ";
  for (const char* rows :
       {"('p1/1', 'p1', 1786800700, 'citizen_a', 'receivable', 100, 'charge', 'bus-bus_1:1', "
        "''), ('p1/2', 'p1', 1786800700, 'citizen_a', 'revenue:jimo_bus', -100, 'charge', "
        "'bus-bus_1:1', '')",
        "('p2/1', 'p2', 1786806000, 'citizen_a', 'receivable', -30, 'payment', NULL, 'payment "
        "pay-1'), ('p2/2', 'p2', 1786806000, 'citizen_a', 'cash', 30, 'payment', NULL, "
        "'payment pay-1')",
        "('p3/1', 'p3', 1786807000, 'citizen_a', 'receivable', -10, 'refund', 'bus-bus_1:1', "
        "'refund r-1'), ('p3/2', 'p3', 1786807000, 'citizen_a', 'revenue:jimo_bus', 10, "
        "'refund', 'bus-bus_1:1', 'refund r-1')"}) {
    ASSERT_NO_FATAL_FAILURE(Run(std::string(kPosting) + rows));
  }
  ASSERT_NO_FATAL_FAILURE(
      Run("INSERT INTO transit_riders (rider_id, updated_at) VALUES ('citizen_a', 1786800700)"));
  ASSERT_NO_FATAL_FAILURE(
      Run("INSERT INTO transit_payments (reference, rider_id, amount, posting_id, at) "
          "VALUES ('pay-1', 'citizen_a', 30, 'p2', 1786806000)"));
  ASSERT_NO_FATAL_FAILURE(
      Run("INSERT INTO transit_refunds (reference, trip_id, rider_id, amount, reason, posting_id, "
          "at) VALUES ('r-1', 'bus-bus_1:1', 'citizen_a', 10, 'faulty gate', 'p3', 1786807000)"));

  auto rides = Rides::Open(db(), clock_, feed_, ext_);
  ASSERT_TRUE(rides.ok()) << rides.status().ToString();
  auto ledger = RiderLedger::Open(db(), clock_);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_EQ(Count("transit_upgrades"), 0);
  EXPECT_EQ(Count("transit_tap_ids"), 3);
  EXPECT_EQ(Count("transit_refused_taps", "refused_reason = 'expired'"), 1);
  EXPECT_EQ(Count("transit_taps", "rider_id = 'citizen_a'"), 1);
  EXPECT_EQ(Count("transit_inbox", "rider_id = 'citizen_b'"), 1);
  EXPECT_EQ(Count("transit_ledger"), 3);
  EXPECT_EQ(Count("transit_ledger",
                  "operating_day = '20260815' AND counter_account = "
                  "'revenue:jimo_bus'"),
            2);
  EXPECT_EQ(Count("transit_ledger",
                  "operating_day = '' AND kind = 'payment' AND amount = -30 "
                  "AND counter_account = 'cash'"),
            1);
  EXPECT_EQ(Count("transit_refunds", "operating_day = '20260815' AND agency_id = 'jimo_bus'"), 1);
  EXPECT_EQ(Ok((*ledger)->RiderBalance("citizen_a")), 60);
  auto charges = (*rides)->RiderCharges("citizen_a", kNight);
  ASSERT_TRUE(charges.ok()) << charges.status().ToString();
  ASSERT_EQ(charges->size(), 1u);
  EXPECT_EQ((*charges)[0].trip_id, "bus-bus_1:1");
  EXPECT_EQ((*charges)[0].amount, 100);

  // The stored taps are still known, and the refund is still counted.
  TapUpload again{.tap = {"bus-bus_1", 1, Utc("2026-08-15T13:30:00Z"), "bus_1", "B101",
                          Tap::Kind::kBoard, Channel::kApp, ""},
                  .rider_id = "citizen_a"};
  EXPECT_EQ(Ok((*rides)->UploadTaps({again})),
            (UploadResult{.stored = 0, .duplicates = 1, .refused = 0}));
  EXPECT_THAT((*ledger)->RefundTrip("bus-bus_1:1", 91, "r-2", "complaint"),
              StatusIs(StatusCode::kFailedPrecondition, "refund_exceeds_charge"));
  // citizen_b's queued day is fared.
  auto bulk = BulkTaps::Open(db(), clock_, feed_, ext_);
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  EXPECT_EQ(Ok((*bulk)->FarePending()), 1);
  EXPECT_EQ(Ok((*bulk)->FarePending()), 0);
  auto b = (*rides)->RiderCharges("citizen_b", kNight);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ(Ok((*ledger)->RiderBalance("citizen_b")), (*b)[0].amount);
  EXPECT_GT((*b)[0].amount, 0);

  // Done once: a second Open finds nothing to move.
  EXPECT_TRUE(Rides::Open(db(), clock_, feed_, ext_).ok());
  EXPECT_EQ(Count("transit_tap_ids"), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, RidesUpgradeTest,
                         ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::transit
