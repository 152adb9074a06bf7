// Deferred payment, the other side: a rider's daily bill, and the daily
// clearing run that pays each operator its share of the day's charges
// (docs/fares-extension.md, "Settlement").
//
// Allocation. Every trip of the operating day (transit_charges, as last
// fared) goes to the agency whose route carried it. A trip outside any
// promotion window goes wholly to its agency. Within one rider's promotion
// window night (window id + night, as recorded in the charge's rules) the
// rider paid P in total, however the cap put it on the trips (the engine
// charges the first trips and lets the later ones ride free, which says
// nothing about who carried the rider). P is shared among that night's
// trips of the day in proportion to their base fares: each trip gets
// floor(P * base / B), and the fen left over go one each to the largest
// remainders, ties by trip id, so the split is deterministic.
//
// Versions. A run computes the allocation from the current charges. If an
// earlier run of the day stored exactly the same settlements, the run
// changes nothing and returns that run's report. Otherwise (late taps or
// adjustments changed the day, or the day was never cleared) it stores a new
// version: the full settlement per agency as of now, and `delta`, the
// difference from the previous version, which is what is still owed to (or,
// negative, back from) the agency. Versions hold totals, not increments, so
// nothing is counted twice; the deltas of all versions sum to the latest
// totals.
//
// Refunds (RiderLedger::RefundTrip) of the day's trips are taken off the
// settlement of the agency that carried the trip.
//
// Invariant, checked by every run: the day's rider charges less refunds
// (current charge amounts, and the receivable ledger rows of those trips)
// equal the sum of the agencies' settlements, to the fen.
#ifndef CITYCODE_SCENES_TRANSIT_CLEARING_H_
#define CITYCODE_SCENES_TRANSIT_CLEARING_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

namespace citycode::transit {

// A ledger adjustment of one of the bill's trips.
struct BillAdjustment {
  std::string trip_id;
  Instant booked_at{};
  std::int64_t amount = 0;  // fen; negative gives money back
  std::string memo;
  friend bool operator==(const BillAdjustment&, const BillAdjustment&) = default;
};

struct Bill {
  std::string rider_id;
  Date operating_day;
  // The day's trips with what each costs now (voided trips left out).
  std::vector<StoredCharge> trips;
  // The adjustments booked, at any time, on those trips (and on voided
  // ones): how the first charges became the amounts above.
  std::vector<BillAdjustment> adjustments;
  // The refunds booked on those trips (amounts negative).
  std::vector<BillAdjustment> refunds;
  std::int64_t total = 0;    // the day's cost: the trips' amounts less the refunds
  std::int64_t balance = 0;  // what the rider owes now, all days, payments deducted
};

// One agency's settlement in one clearing version.
struct OperatorSettlement {
  std::string agency_id;
  std::string agency_name;  // from the feed; empty if the feed does not name it
  std::int64_t trips = 0;
  std::int64_t base_total = 0;     // fen: the trips' base fares
  std::int64_t charged_total = 0;  // fen: what the riders were charged on these trips
  std::int64_t refunded = 0;       // fen: refunds of these trips, borne by the agency
  // fen: base_total - settled - refunded, the promotions' discount the agency bears
  std::int64_t discount = 0;
  std::int64_t settled = 0;  // fen: the agency's share of the riders' charges
  std::int64_t delta = 0;    // fen: settled minus the previous version's settled
  friend bool operator==(const OperatorSettlement&, const OperatorSettlement&) = default;
};

struct ClearingReport {
  Date operating_day;
  std::int64_t version = 0;  // 1 for the day's first run
  Instant run_at{};          // whole seconds
  std::int64_t trips = 0;
  std::int64_t rider_total = 0;               // fen: the day's rider charges less refunds
  std::int64_t settled_total = 0;             // fen: the sum of `settled`; equals rider_total
  std::vector<OperatorSettlement> operators;  // by agency_id
  friend bool operator==(const ClearingReport&, const ClearingReport&) = default;
};

// An operating day's trips as now fared (voided ones left out) and what
// their riders were charged, before refunds.
struct DayTrips {
  Date operating_day;
  std::int64_t trips = 0;
  std::int64_t charged = 0;  // fen
};

// The report as CSV: a header, then one row per agency, amounts in fen.
std::string ClearingCsv(const ClearingReport& report);
// The report as one JSON object (amounts in fen).
std::string ClearingJson(const ClearingReport& report);
std::string BillJson(const Bill& bill);

// The schema is the transit module's (MigrateTransit(), 3002).
class Clearing {
 public:
  // Applies the transit migrations. `db`, `clock` and `feed` must outlive
  // the Clearing; the feed only names the agencies.
  static Result<std::unique_ptr<Clearing>> Open(store::Database& db, const Clock& clock,
                                                const Feed& feed);
  ~Clearing();
  Clearing(const Clearing&) = delete;
  Clearing& operator=(const Clearing&) = delete;

  Result<Bill> DailyBill(std::string_view rider_id, const Date& operating_day);

  // Clears the operating day (see the top of this file), in one write
  // transaction. internal if the day's totals do not balance (a bug).
  Result<ClearingReport> RunClearing(const Date& operating_day);

  // For the operator's dashboard: the day's trips (one range of the
  // charges' key), and the newest clearing run of any day (nullopt before
  // the first).
  Result<DayTrips> Trips(const Date& operating_day);
  Result<std::optional<ClearingReport>> LastRun();

 private:
  struct Impl;
  explicit Clearing(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_CLEARING_H_
