#include "scenes/transit/clearing.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "scenes/transit/csv.h"
#include "scenes/transit/internal/faring.h"
#include "scenes/transit/ledger.h"
#include "scenes/transit/schema.h"

namespace citycode::transit {
namespace {

using store::Int;
using store::Text;

// The ledger books a charge without agency on 'revenue:unknown'; the
// settlement names it the same way.
std::string AgencyKey(std::string_view agency_id) {
  return agency_id.empty() ? "unknown" : std::string(agency_id);
}

// "<window id>@<night>" of a charge's rules, or empty when no promotion
// window applied.
Result<std::string> WindowOf(std::string_view rules) {
  // Most charges have none; RulesText writes the key only with a window.
  if (rules.find(";window=") == std::string_view::npos) return std::string();
  Charge charge;
  CITYCODE_RETURN_IF_ERROR(internal::ParseRules(rules, charge));
  if (charge.window_id.empty()) return std::string();
  return charge.window_id + "@" + FormatGtfsDate(charge.window_night);
}

// A charge that a promotion night shares with the rider's other trips.
struct DayCharge {
  std::string rider_id, agency_id, window;
  std::int64_t amount = 0, base_amount = 0;
  std::int64_t share = 0;  // what the agency gets for this trip
};

// Shares `paid` among `trips` in proportion to their base fares, by largest
// remainder, ties by trip id (the caller sorts by trip id).
void SplitByBase(std::vector<DayCharge*>& trips, std::int64_t paid) {
  std::int64_t base = 0;
  for (const DayCharge* t : trips) base += t->base_amount;
  if (base <= 0) {
    // No base to weigh by (fares that could not be found): each trip keeps
    // what it was charged.
    for (DayCharge* t : trips) t->share = t->amount;
    return;
  }
  std::vector<std::pair<std::int64_t, std::size_t>> remainders;  // (remainder, index)
  std::int64_t given = 0;
  for (std::size_t i = 0; i < trips.size(); ++i) {
    // A night's fares are a few hundred yuan at most: the product of two
    // fen amounts stays far below 2^63.
    const std::int64_t product = paid * trips[i]->base_amount;
    trips[i]->share = product / base;
    remainders.emplace_back(product % base, i);
    given += trips[i]->share;
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < paid; ++k, ++given) {
    ++trips[remainders[k % remainders.size()].second]->share;
  }
}

}  // namespace

struct Clearing::Impl {
  store::Database& db;
  const Clock& clock;
  const Feed& feed;

  std::string AgencyName(const std::string& agency_id) const {
    auto it = feed.agencies.find(agency_id);
    return it == feed.agencies.end() ? "" : it->second.name;
  }

  // The day's settlements as the current charges say, without delta. The
  // charges are read one rider bucket at a time: a promotion night is one
  // rider's, so it never spans two, and a city's day is never held whole.
  Result<ClearingReport> Compute(store::Transaction& tx, const Date& day) const {
    ClearingReport report{.operating_day = day};
    std::map<std::string, OperatorSettlement> by_agency;
    for (std::int64_t bucket = 0; bucket < kRiderBuckets; ++bucket) {
      CITYCODE_ASSIGN_OR_RETURN(
          std::vector<store::Row> rows,
          tx.Query("SELECT trip_id, rider_id, agency_id, amount, base_amount, rules FROM "
                   "transit_charges WHERE operating_day = ? AND bucket = ?",
                   {Text(FormatGtfsDate(day)), Int(bucket)}));
      // A trip outside any promotion night settles what it was charged;
      // those in one wait for the night's split.
      std::vector<DayCharge> in_windows;
      for (const store::Row& row : rows) {
        if (row.Text(5) == kVoidTripRules) {
          if (row.Int(3) != 0) return Internal("voided trip " + row.Text(0) + " has an amount");
          continue;
        }
        CITYCODE_ASSIGN_OR_RETURN(std::string window, WindowOf(row.Text(5)));
        std::string agency_id = AgencyKey(row.Text(2));
        OperatorSettlement& s = by_agency[agency_id];
        const std::int64_t amount = row.Int(3);
        const std::int64_t base_amount = row.Int(4);
        ++s.trips;
        s.base_total += base_amount;
        s.charged_total += amount;
        ++report.trips;
        report.rider_total += amount;
        if (window.empty()) {
          s.settled += amount;
          continue;
        }
        in_windows.push_back(DayCharge{.rider_id = row.Text(1),
                                       .agency_id = std::move(agency_id),
                                       .window = std::move(window),
                                       .amount = amount,
                                       .base_amount = base_amount,
                                       .share = amount});
      }
      // Window nights per rider, trips in trip id order (the key's order
      // within a rider).
      std::map<std::pair<std::string, std::string>, std::vector<DayCharge*>> nights;
      for (DayCharge& c : in_windows) nights[{c.rider_id, c.window}].push_back(&c);
      for (auto& [key, trips] : nights) {
        std::int64_t paid = 0;
        for (const DayCharge* t : trips) paid += t->amount;
        SplitByBase(trips, paid);
      }
      for (const DayCharge& c : in_windows) by_agency[c.agency_id].settled += c.share;
    }
    // Refunds of the day's trips (voided ones too) are borne by the agency
    // that carried the trip.
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<store::Row> refunds,
        tx.Query("SELECT agency_id, CAST(SUM(amount) AS BIGINT) FROM transit_refunds "
                 "WHERE operating_day = ? GROUP BY agency_id",
                 {Text(FormatGtfsDate(day))}));
    for (const store::Row& row : refunds) {
      OperatorSettlement& s = by_agency[AgencyKey(row.Text(0))];
      s.refunded += row.Int(1);
      s.settled -= row.Int(1);
      report.rider_total -= row.Int(1);
    }
    for (auto& [agency_id, s] : by_agency) {
      s.agency_id = agency_id;
      s.agency_name = AgencyName(agency_id);
      s.discount = s.base_total - s.settled - s.refunded;
      report.settled_total += s.settled;
      report.operators.push_back(std::move(s));
    }
    if (report.settled_total != report.rider_total) {
      return Internal("clearing " + FormatGtfsDate(day) + ": settlements " +
                      std::to_string(report.settled_total) + " != rider charges " +
                      std::to_string(report.rider_total));
    }
    // The ledger says the same: the postings of the day's trips.
    CITYCODE_ASSIGN_OR_RETURN(
        store::Row ledger,
        tx.QueryOne("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transit_ledger "
                    "WHERE operating_day = ?",
                    {Text(FormatGtfsDate(day))}));
    if (ledger.Int(0) != report.rider_total) {
      return Internal("clearing " + FormatGtfsDate(day) + ": ledger " +
                      std::to_string(ledger.Int(0)) + " != rider charges " +
                      std::to_string(report.rider_total));
    }
    return report;
  }

  Result<ClearingReport> Load(store::Transaction& tx, const Date& day, std::int64_t version) const {
    CITYCODE_ASSIGN_OR_RETURN(
        store::Row run,
        tx.QueryOne("SELECT run_at, trips, rider_total, settled_total FROM transit_clearing_runs "
                    "WHERE operating_day = ? AND version = ?",
                    {Text(FormatGtfsDate(day)), Int(version)}));
    ClearingReport report{.operating_day = day,
                          .version = version,
                          .run_at = FromUnixSeconds(run.Int(0)),
                          .trips = run.Int(1),
                          .rider_total = run.Int(2),
                          .settled_total = run.Int(3)};
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<store::Row> rows,
        tx.Query("SELECT agency_id, trips, base_total, charged_total, settled, delta, refunded "
                 "FROM transit_settlements WHERE operating_day = ? AND version = ? "
                 "ORDER BY agency_id",
                 {Text(FormatGtfsDate(day)), Int(version)}));
    for (const store::Row& row : rows) {
      report.operators.push_back(
          OperatorSettlement{.agency_id = row.Text(0),
                             .agency_name = AgencyName(row.Text(0)),
                             .trips = row.Int(1),
                             .base_total = row.Int(2),
                             .charged_total = row.Int(3),
                             .refunded = row.Int(6),
                             .discount = row.Int(2) - row.Int(4) - row.Int(6),
                             .settled = row.Int(4),
                             .delta = row.Int(5)});
    }
    return report;
  }
};

namespace {

// Whether two versions settle the same, delta and run aside. An agency's
// row at 0 (kept for its negative delta) counts as no row.
bool SameSettlements(const ClearingReport& a, const ClearingReport& b) {
  using Key =
      std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
  auto keys = [](const ClearingReport& r) {
    std::vector<Key> out;
    for (const OperatorSettlement& s : r.operators) {
      if (s.trips == 0 && s.base_total == 0 && s.charged_total == 0 && s.settled == 0 &&
          s.refunded == 0) {
        continue;
      }
      out.emplace_back(s.agency_id, s.trips, s.base_total, s.charged_total, s.refunded, s.settled);
    }
    return out;
  };
  return a.trips == b.trips && a.rider_total == b.rider_total && keys(a) == keys(b);
}

}  // namespace

Clearing::Clearing(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Clearing::~Clearing() = default;

Result<std::unique_ptr<Clearing>> Clearing::Open(store::Database& db, const Clock& clock,
                                                 const Feed& feed) {
  CITYCODE_RETURN_IF_ERROR(MigrateTransit(db));
  return std::unique_ptr<Clearing>(
      new Clearing(std::make_unique<Impl>(Impl{.db = db, .clock = clock, .feed = feed})));
}

Result<Bill> Clearing::DailyBill(std::string_view rider_id, const Date& operating_day) {
  Bill bill{.rider_id = std::string(rider_id), .operating_day = operating_day};
  // One read transaction: the trips, adjustments and balance agree.
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<StoredCharge> charges,
                            ReadRiderCharges(*tx, rider_id, operating_day));
  for (StoredCharge& charge : charges) {
    if (charge.rules == kVoidTripRules) continue;
    bill.total += charge.amount;
    bill.trips.push_back(std::move(charge));
  }
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx->Query("SELECT trip_id, at, amount, memo, kind FROM transit_ledger "
                "WHERE operating_day = ? AND bucket = ? AND rider_id = ? AND "
                "kind IN ('adjustment', 'refund') "
                "ORDER BY at, posting_id",
                {Text(FormatGtfsDate(operating_day)), Int(RiderBucket(rider_id)), Text(rider_id)}));
  for (const store::Row& row : rows) {
    BillAdjustment entry{.trip_id = row.Text(0),
                         .booked_at = FromUnixSeconds(row.Int(1)),
                         .amount = row.Int(2),
                         .memo = row.Text(3)};
    if (row.Text(4) == "refund") {
      bill.total += entry.amount;  // negative
      bill.refunds.push_back(std::move(entry));
    } else {
      bill.adjustments.push_back(std::move(entry));
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(bill.balance, ReadRiderBalance(*tx, rider_id));
  return bill;
}

Result<DayTrips> Clearing::Trips(const Date& operating_day) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      store::Row row,
      tx->QueryOne("SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transit_charges "
                   "WHERE operating_day = ? AND rules <> ?",
                   {Text(FormatGtfsDate(operating_day)), Text(kVoidTripRules)}));
  return DayTrips{.operating_day = operating_day, .trips = row.Int(0), .charged = row.Int(1)};
}

Result<std::optional<ClearingReport>> Clearing::LastRun() {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      std::optional<store::Row> newest,
      tx->QueryOptional("SELECT operating_day, version FROM transit_clearing_runs "
                        "ORDER BY run_at DESC, operating_day DESC LIMIT 1"));
  if (!newest) return std::optional<ClearingReport>();
  CITYCODE_ASSIGN_OR_RETURN(Date day, ParseGtfsDate(newest->Text(0)));
  CITYCODE_ASSIGN_OR_RETURN(ClearingReport report, impl_->Load(*tx, day, newest->Int(1)));
  return std::optional<ClearingReport>(std::move(report));
}

Result<ClearingReport> Clearing::RunClearing(const Date& operating_day) {
  const Impl& impl = *impl_;
  const std::string day = FormatGtfsDate(operating_day);
  ClearingReport result;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        // Written first: a second run of the day waits for this one.
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO transit_clearing_days (operating_day, version) VALUES (?, 0) "
                       "ON CONFLICT (operating_day) DO UPDATE SET version = "
                       "transit_clearing_days.version",
                       {Text(day)})
                .status());
        CITYCODE_ASSIGN_OR_RETURN(
            store::Row latest,
            tx.QueryOne("SELECT version FROM transit_clearing_days WHERE operating_day = ?",
                        {Text(day)}));
        const std::int64_t previous_version = latest.Int(0);
        CITYCODE_ASSIGN_OR_RETURN(ClearingReport now, impl.Compute(tx, operating_day));
        std::map<std::string, std::int64_t> previous_settled;
        if (previous_version > 0) {
          CITYCODE_ASSIGN_OR_RETURN(ClearingReport previous,
                                    impl.Load(tx, operating_day, previous_version));
          if (SameSettlements(previous, now)) {
            result = std::move(previous);
            return OkStatus();
          }
          for (const OperatorSettlement& s : previous.operators) {
            previous_settled[s.agency_id] = s.settled;
          }
        }
        // An agency the day no longer owes anything keeps a row at 0, so
        // that its negative delta is on record.
        for (const auto& previous : previous_settled) {
          const std::string& agency_id = previous.first;
          auto it = std::find_if(now.operators.begin(), now.operators.end(),
                                 [&](const auto& s) { return s.agency_id == agency_id; });
          if (it == now.operators.end()) {
            now.operators.push_back(OperatorSettlement{.agency_id = agency_id,
                                                       .agency_name = impl.AgencyName(agency_id)});
          }
        }
        std::sort(now.operators.begin(), now.operators.end(),
                  [](const auto& a, const auto& b) { return a.agency_id < b.agency_id; });
        now.version = previous_version + 1;
        now.run_at = FromUnixSeconds(ToUnixSeconds(impl.clock.Now()));
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO transit_clearing_runs (operating_day, version, run_at, trips, "
                       "rider_total, settled_total) VALUES (?, ?, ?, ?, ?, ?)",
                       {Text(day), Int(now.version), Int(ToUnixSeconds(now.run_at)), Int(now.trips),
                        Int(now.rider_total), Int(now.settled_total)})
                .status());
        for (OperatorSettlement& s : now.operators) {
          auto prev = previous_settled.find(s.agency_id);
          s.delta = s.settled - (prev == previous_settled.end() ? 0 : prev->second);
          CITYCODE_RETURN_IF_ERROR(
              tx.Execute("INSERT INTO transit_settlements (operating_day, version, agency_id, "
                         "trips, base_total, charged_total, refunded, settled, delta) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         {Text(day), Int(now.version), Text(s.agency_id), Int(s.trips),
                          Int(s.base_total), Int(s.charged_total), Int(s.refunded), Int(s.settled),
                          Int(s.delta)})
                  .status());
        }
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE transit_clearing_days SET version = ? WHERE operating_day = ?",
                       {Int(now.version), Text(day)})
                .status());
        result = std::move(now);
        return OkStatus();
      }));
  return result;
}

namespace {

nlohmann::json ChargeJson(const StoredCharge& c) {
  return {{"trip_id", c.trip_id},         {"start", FormatRfc3339(c.start)}, {"amount", c.amount},
          {"base_amount", c.base_amount}, {"agency_id", c.agency_id},        {"rules", c.rules}};
}

}  // namespace

std::string ClearingCsv(const ClearingReport& report) {
  std::string out =
      "operating_day,version,agency_id,agency_name,trips,base_total_fen,charged_fen,"
      "refunded_fen,discount_fen,settled_fen,delta_fen\r\n";
  for (const OperatorSettlement& s : report.operators) {
    out += FormatIsoDate(report.operating_day) + "," + std::to_string(report.version) + ",";
    AppendCsvField(out, s.agency_id);
    out += ',';
    AppendCsvField(out, s.agency_name);
    out += "," + std::to_string(s.trips) + "," + std::to_string(s.base_total) + "," +
           std::to_string(s.charged_total) + "," + std::to_string(s.refunded) + "," +
           std::to_string(s.discount) + "," + std::to_string(s.settled) + "," +
           std::to_string(s.delta) + "\r\n";
  }
  return out;
}

std::string ClearingJson(const ClearingReport& report) {
  nlohmann::json operators = nlohmann::json::array();
  for (const OperatorSettlement& s : report.operators) {
    operators.push_back({{"agency_id", s.agency_id},
                         {"agency_name", s.agency_name},
                         {"trips", s.trips},
                         {"base_total", s.base_total},
                         {"charged", s.charged_total},
                         {"refunded", s.refunded},
                         {"discount", s.discount},
                         {"settled", s.settled},
                         {"delta", s.delta}});
  }
  return nlohmann::json{{"operating_day", FormatIsoDate(report.operating_day)},
                        {"version", report.version},
                        {"run_at", FormatRfc3339(report.run_at)},
                        {"trips", report.trips},
                        {"rider_total", report.rider_total},
                        {"settled_total", report.settled_total},
                        {"currency_unit", "fen"},
                        {"operators", operators}}
      .dump();
}

std::string BillJson(const Bill& bill) {
  nlohmann::json trips = nlohmann::json::array();
  for (const StoredCharge& c : bill.trips) trips.push_back(ChargeJson(c));
  // Adjustments and refunds are entries of the same shape.
  auto entries = [](const std::vector<BillAdjustment>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const BillAdjustment& a : list) {
      out.push_back({{"trip_id", a.trip_id},
                     {"booked_at", FormatRfc3339(a.booked_at)},
                     {"amount", a.amount},
                     {"memo", a.memo}});
    }
    return out;
  };
  const nlohmann::json adjustments = entries(bill.adjustments);
  const nlohmann::json refunds = entries(bill.refunds);
  return nlohmann::json{{"rider_id", bill.rider_id},
                        {"operating_day", FormatIsoDate(bill.operating_day)},
                        {"trips", trips},
                        {"adjustments", adjustments},
                        {"refunds", refunds},
                        {"total", bill.total},
                        {"balance", bill.balance},
                        {"currency_unit", "fen"}}
      .dump();
}

}  // namespace citycode::transit
