#include "scenes/transit/rides.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "code/credential.h"
#include "common/bytes.h"
#include "scenes/transit/internal/postings.h"

namespace citycode::transit {
namespace {

using internal::CheckId;
using internal::HasNoControls;
using internal::kInsertPosting;
using internal::NewPostingId;
using internal::RevenueAccount;

// Times are unix seconds; operating days are GTFS dates ("20260815"), which
// sort as text. Taps keep the fields FareTaps needs, so a re-fare reads
// only the taps table. 3005 replaced the taps, charges, ledger and riders
// tables of 3001 and the queue of 3003; their old text stays, as applied.
const std::array<store::Migration, 5> kMigrations = {{
    {3001, "transit_rides",
     R"sql(
CREATE TABLE transit_taps (
  terminal_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  rider_id TEXT NOT NULL,            -- '' for a refused tap that names no one
  at BIGINT NOT NULL,
  operating_day TEXT NOT NULL,
  route_id TEXT NOT NULL,
  stop_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('board', 'entry', 'exit')),
  channel TEXT NOT NULL,
  rider_category_id TEXT NOT NULL,
  valid BIGINT NOT NULL,
  refused_reason TEXT NOT NULL,
  uploaded_at BIGINT NOT NULL,
  PRIMARY KEY (terminal_id, sequence)
);
CREATE INDEX transit_taps_rider ON transit_taps(rider_id, at);
-- The current charge of each trip, as last fared; never deleted (a trip
-- that no longer exists keeps its row with amount 0).
CREATE TABLE transit_charges (
  trip_id TEXT PRIMARY KEY,
  rider_id TEXT NOT NULL,
  operating_day TEXT NOT NULL,
  start_at BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  base_amount BIGINT NOT NULL,
  agency_id TEXT NOT NULL,
  rules TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX transit_charges_rider ON transit_charges(rider_id, operating_day);
CREATE TABLE transit_ledger (
  id TEXT PRIMARY KEY,
  posting_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  rider_id TEXT NOT NULL,
  account TEXT NOT NULL,             -- 'receivable', 'revenue:<agency_id>', 'cash'
  amount BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('charge', 'adjustment', 'payment', 'refund')),
  trip_id TEXT,
  memo TEXT NOT NULL
);
CREATE INDEX transit_ledger_rider ON transit_ledger(rider_id, account);
CREATE TABLE transit_payments (
  reference TEXT PRIMARY KEY,
  rider_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  posting_id TEXT NOT NULL,
  at BIGINT NOT NULL
);
-- One row per rider, updated first in an upload so that concurrent uploads
-- for one rider re-fare one after the other (no SELECT … FOR UPDATE on
-- SQLite).
CREATE TABLE transit_riders (
  rider_id TEXT PRIMARY KEY,
  updated_at BIGINT NOT NULL
);
)sql"},
    // The daily clearing (clearing.h). A day's runs are versions: each
    // holds the day's full settlements as of its run, never increments.
    // transit_clearing_days has one row per cleared day, written first in a
    // run so that two runs of one day go one after the other.
    {3002, "transit_clearing",
     R"sql(
CREATE TABLE transit_clearing_days (
  operating_day TEXT PRIMARY KEY,
  version BIGINT NOT NULL            -- the latest run's; 0 while the first runs
);
CREATE TABLE transit_clearing_runs (
  operating_day TEXT NOT NULL,
  version BIGINT NOT NULL,
  run_at BIGINT NOT NULL,
  trips BIGINT NOT NULL,
  rider_total BIGINT NOT NULL,
  settled_total BIGINT NOT NULL,
  PRIMARY KEY (operating_day, version)
);
CREATE TABLE transit_settlements (
  operating_day TEXT NOT NULL,
  version BIGINT NOT NULL,
  agency_id TEXT NOT NULL,
  trips BIGINT NOT NULL,
  base_total BIGINT NOT NULL,
  charged_total BIGINT NOT NULL,
  settled BIGINT NOT NULL,
  delta BIGINT NOT NULL,             -- settled minus the previous version's
  PRIMARY KEY (operating_day, version, agency_id)
);
)sql"},
    // Rider days stored by a bulk ingest and not yet fared (IngestTaps).
    {3003, "transit_pending",
     R"sql(
CREATE TABLE transit_pending (
  rider_id TEXT NOT NULL,
  operating_day TEXT NOT NULL,
  generation BIGINT NOT NULL,        -- raised by each ingest that touches the day again
  PRIMARY KEY (rider_id, operating_day)
);
)sql"},
    // Fares given back to riders (RiderLedger::RefundTrip), borne by the trip's agency.
    {3004, "transit_refunds",
     R"sql(
CREATE TABLE transit_refunds (
  reference TEXT PRIMARY KEY,
  trip_id TEXT NOT NULL,
  rider_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  reason TEXT NOT NULL,
  posting_id TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX transit_refunds_trip ON transit_refunds(trip_id);
ALTER TABLE transit_settlements ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0;
)sql"},
    // Storage laid out for bulk loads (docs/BENCHMARKS.md, "Transit"). A
    // rider's rows sit together under (rider bucket, rider): RiderBucket(),
    // a hash, spreads riders over kRiderBuckets, and the bulk faring takes
    // one bucket per transaction, so each of its commits writes one
    // contiguous slice of every rider-keyed table instead of pages all over
    // them. Charges and postings are keyed by operating day first: a day's
    // faring appends, and the clearing reads one range. A bulk ingest writes
    // only the taps' identities, which arrive grouped by terminal, and the
    // inbox, keyed by bucket: both append. The tables of 3001/3003 are
    // renamed *_v1; Rides::Open moves their rows over (it computes the
    // buckets) and drops them (UpgradeV1).
    {3005, "transit_bulk_layout",
     R"sql(
ALTER TABLE transit_taps RENAME TO transit_taps_v1;
ALTER TABLE transit_charges RENAME TO transit_charges_v1;
ALTER TABLE transit_ledger RENAME TO transit_ledger_v1;
ALTER TABLE transit_riders RENAME TO transit_riders_v1;
ALTER TABLE transit_pending RENAME TO transit_pending_v1;
-- Every stored tap, refused ones too: a batch sent again is told apart here.
CREATE TABLE transit_tap_ids (
  terminal_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  rider_id TEXT NOT NULL,            -- '' for a refused tap that names no one
  at BIGINT NOT NULL,
  PRIMARY KEY (terminal_id, sequence)
) WITHOUT ROWID;
CREATE TABLE transit_refused_taps (
  terminal_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  rider_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  route_id TEXT NOT NULL,
  stop_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  rider_category_id TEXT NOT NULL,
  refused_reason TEXT NOT NULL,
  uploaded_at BIGINT NOT NULL,
  PRIMARY KEY (terminal_id, sequence)
) WITHOUT ROWID;
-- Valid taps stored by a bulk ingest and not yet fared (FarePending).
CREATE TABLE transit_inbox (
  bucket BIGINT NOT NULL,
  terminal_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  rider_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  route_id TEXT NOT NULL,
  stop_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  rider_category_id TEXT NOT NULL,
  PRIMARY KEY (bucket, terminal_id, sequence)
) WITHOUT ROWID;
-- Valid taps, fared, by rider: a re-fare reads one range.
CREATE TABLE transit_taps (
  bucket BIGINT NOT NULL,
  rider_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  terminal_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  route_id TEXT NOT NULL,
  stop_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('board', 'entry', 'exit')),
  channel TEXT NOT NULL,
  rider_category_id TEXT NOT NULL,
  PRIMARY KEY (bucket, rider_id, at, terminal_id, sequence)
) WITHOUT ROWID;
CREATE TABLE transit_charges (
  operating_day TEXT NOT NULL,
  bucket BIGINT NOT NULL,
  rider_id TEXT NOT NULL,
  trip_id TEXT NOT NULL,
  start_at BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  base_amount BIGINT NOT NULL,
  agency_id TEXT NOT NULL,
  rules TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (operating_day, bucket, rider_id, trip_id)
) WITHOUT ROWID;
-- One row per posting, both of its entries: the rider's receivable is
-- debited `amount` and `counter_account` credited as much. Every posting
-- balances by construction; transit_ledger_lines shows the two entries.
CREATE TABLE transit_ledger (
  operating_day TEXT NOT NULL,       -- the trip's; '' for a payment
  bucket BIGINT NOT NULL,
  rider_id TEXT NOT NULL,
  posting_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  counter_account TEXT NOT NULL,     -- 'revenue:<agency_id>', 'cash'
  kind TEXT NOT NULL CHECK (kind IN ('charge', 'adjustment', 'payment', 'refund')),
  trip_id TEXT,
  memo TEXT NOT NULL,
  PRIMARY KEY (operating_day, bucket, rider_id, posting_id)
) WITHOUT ROWID;
CREATE VIEW transit_ledger_lines AS
  SELECT operating_day, bucket, rider_id, posting_id, 1 AS line, at, 'receivable' AS account,
         amount, kind, trip_id, memo FROM transit_ledger
  UNION ALL
  SELECT operating_day, bucket, rider_id, posting_id, 2 AS line, at, counter_account AS account,
         -amount AS amount, kind, trip_id, memo FROM transit_ledger;
-- One row per rider: locked (written) first by every transaction that
-- posts for the rider, and holding the sum of the rider's postings.
CREATE TABLE transit_riders (
  bucket BIGINT NOT NULL,
  rider_id TEXT NOT NULL,
  balance BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (bucket, rider_id)
) WITHOUT ROWID;
ALTER TABLE transit_refunds ADD COLUMN operating_day TEXT NOT NULL DEFAULT '';
ALTER TABLE transit_refunds ADD COLUMN agency_id TEXT NOT NULL DEFAULT '';
UPDATE transit_refunds SET
  operating_day = (SELECT c.operating_day FROM transit_charges_v1 c WHERE c.trip_id = transit_refunds.trip_id),
  agency_id = (SELECT c.agency_id FROM transit_charges_v1 c WHERE c.trip_id = transit_refunds.trip_id);
CREATE INDEX transit_refunds_day ON transit_refunds(operating_day);
-- A row while the *_v1 tables wait for UpgradeV1.
CREATE TABLE transit_upgrades (name TEXT PRIMARY KEY);
INSERT INTO transit_upgrades (name) VALUES ('v1');
)sql"},
}};

constexpr std::int64_t kSecondsPerDay = 86400;

// Written by a re-fare and by the upgrade from the tables before 3005.
constexpr std::string_view kInsertCharge =
    "INSERT INTO transit_charges (operating_day, bucket, rider_id, trip_id, start_at, amount, "
    "base_amount, agency_id, rules, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

using store::Int;
using store::Text;

std::string_view TripKindName(TripKind kind) {
  switch (kind) {
    case TripKind::kBoard: return "board";
    case TripKind::kComplete: return "complete";
    case TripKind::kNoExit: return "no_exit";
    case TripKind::kNoEntry: return "no_entry";
    case TripKind::kSameStation: return "same_station";
  }
  return "unknown";
}

// Which rules produced a charge, stable so that an unchanged re-fare
// compares equal.
std::string RulesText(const Charge& c) {
  std::string out = "kind=" + std::string(TripKindName(c.kind));
  out += ";category=" + c.rider_category_id;
  out += ";channel=" + std::string(code::ChannelName(c.channel));
  if (!c.fare_product_id.empty()) out += ";product=" + c.fare_product_id;
  if (c.leg_rule_line != 0) out += ";leg_rule_line=" + std::to_string(c.leg_rule_line);
  if (!c.window_id.empty()) out += ";window=" + c.window_id + "@" + FormatGtfsDate(c.window_night);
  if (c.daily_cap_applied) out += ";daily_cap";
  if (!c.problem.empty()) out += ";problem=" + c.problem;
  return out;
}

constexpr std::string_view kVoidRules = kVoidTripRules;

Status CheckUpload(const Feed& feed, const TapUpload& u) {
  const Tap& t = u.tap;
  CITYCODE_RETURN_IF_ERROR(CheckId(t.terminal_id, "terminal_id"));
  if (t.sequence < 0) return InvalidArgument("sequence must be >= 0");
  if (!feed.routes.contains(t.route_id)) {
    return InvalidArgument("route_id '" + t.route_id + "' is not in the feed");
  }
  if (!feed.stops.contains(t.stop_id)) {
    return InvalidArgument("stop_id '" + t.stop_id + "' is not in the feed");
  }
  if (TapKindName(t.kind).empty()) return InvalidArgument("unknown tap kind");
  if (!code::ChannelFromName(code::ChannelName(t.channel)).ok()) {
    return InvalidArgument("unknown channel");
  }
  if (!t.rider_category_id.empty() && !feed.rider_categories.contains(t.rider_category_id)) {
    return InvalidArgument("rider_category_id '" + t.rider_category_id + "' is not in the feed");
  }
  if (u.valid) {
    CITYCODE_RETURN_IF_ERROR(CheckId(u.rider_id, "rider_id"));
    if (!u.refused_reason.empty()) return InvalidArgument("a valid tap has no refused_reason");
  } else {
    if (!u.rider_id.empty()) CITYCODE_RETURN_IF_ERROR(CheckId(u.rider_id, "rider_id"));
    if (u.refused_reason.empty() || u.refused_reason.size() > kMaxRefusedReasonBytes ||
        !HasNoControls(u.refused_reason)) {
      return InvalidArgument("a refused tap needs a refused_reason of 1-" +
                             std::to_string(kMaxRefusedReasonBytes) +
                             " bytes without control characters");
    }
  }
  return OkStatus();
}

// rider id -> operating days, both in order.
using RiderDays = std::map<std::string, std::set<Date>>;

// A charge row as stored.
struct ChargeRow {
  std::string operating_day;
  std::int64_t amount = 0, base_amount = 0;
  std::string agency_id, rules;
};

// Where a batch's new valid taps go: fared at once (UploadTaps), or queued
// in the inbox for FarePending (IngestTaps).
enum class Destination { kTaps, kInbox };

// A tap row's columns after (bucket, rider_id) / (bucket, terminal_id,
// sequence): the fields FareTaps needs.
Tap TapFromRow(const store::Row& row, std::size_t first, Status& status) {
  Tap t;
  t.terminal_id = row.Text(first);
  t.sequence = row.Int(first + 1);
  t.at = FromUnixSeconds(row.Int(first + 2));
  t.route_id = row.Text(first + 3);
  t.stop_id = row.Text(first + 4);
  auto kind = TapKindFromName(row.Text(first + 5));
  auto channel = code::ChannelFromName(row.Text(first + 6));
  if (!kind.ok()) status = Internal("transit_taps: unknown kind " + row.Text(first + 5));
  if (!channel.ok()) status = channel.status();
  if (kind.ok()) t.kind = *kind;
  if (channel.ok()) t.channel = *channel;
  t.rider_category_id = row.Text(first + 7);
  return t;
}

}  // namespace

std::int64_t RiderBucket(std::string_view rider_id) {
  // FNV-1a, 32 bits: stable across builds and platforms, as stored keys need.
  std::uint32_t hash = 2166136261u;
  for (char ch : rider_id) {
    hash ^= static_cast<unsigned char>(ch);
    hash *= 16777619u;
  }
  return static_cast<std::int64_t>(hash % kRiderBuckets);
}

namespace {

enum class Identity { kNew, kDuplicate, kConflict };

// Records the tap's identity: new, stored before with the same rider and
// time, or stored before with another.
Result<Identity> StoreIdentity(store::Transaction& tx, const TapUpload& u) {
  const std::int64_t at = ToUnixSeconds(u.tap.at);
  CITYCODE_ASSIGN_OR_RETURN(
      std::int64_t inserted,
      tx.Execute("INSERT INTO transit_tap_ids (terminal_id, sequence, rider_id, at) "
                 "VALUES (?, ?, ?, ?) ON CONFLICT (terminal_id, sequence) DO NOTHING",
                 {Text(u.tap.terminal_id), Int(u.tap.sequence), Text(u.rider_id), Int(at)}));
  if (inserted == 1) return Identity::kNew;
  CITYCODE_ASSIGN_OR_RETURN(
      store::Row stored,
      tx.QueryOne("SELECT rider_id, at FROM transit_tap_ids WHERE terminal_id = ? AND sequence = ?",
                  {Text(u.tap.terminal_id), Int(u.tap.sequence)}));
  return stored.Text(0) == u.rider_id && stored.Int(1) == at ? Identity::kDuplicate
                                                             : Identity::kConflict;
}

Status StoreRefused(store::Transaction& tx, const TapUpload& u, std::int64_t uploaded_at) {
  const Tap& t = u.tap;
  const store::Value params[] = {Text(t.terminal_id),       Int(t.sequence),
                                 Text(u.rider_id),          Int(ToUnixSeconds(t.at)),
                                 Text(t.route_id),          Text(t.stop_id),
                                 Text(TapKindName(t.kind)), Text(code::ChannelName(t.channel)),
                                 Text(t.rider_category_id), Text(u.refused_reason),
                                 Int(uploaded_at)};
  return tx
      .Execute(
          "INSERT INTO transit_refused_taps (terminal_id, sequence, rider_id, at, route_id, "
          "stop_id, kind, channel, rider_category_id, refused_reason, uploaded_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          params)
      .status();
}

// A valid tap into `to`: both tables take the same columns.
Status StoreValid(store::Transaction& tx, std::string_view rider_id, const Tap& t, Destination to) {
  const store::Value params[] = {Int(RiderBucket(rider_id)),
                                 Text(rider_id),
                                 Int(ToUnixSeconds(t.at)),
                                 Text(t.terminal_id),
                                 Int(t.sequence),
                                 Text(t.route_id),
                                 Text(t.stop_id),
                                 Text(TapKindName(t.kind)),
                                 Text(code::ChannelName(t.channel)),
                                 Text(t.rider_category_id)};
  return tx
      .Execute(to == Destination::kTaps
                   ? "INSERT INTO transit_taps (bucket, rider_id, at, terminal_id, sequence, "
                     "route_id, stop_id, kind, channel, rider_category_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                   : "INSERT INTO transit_inbox (bucket, rider_id, at, terminal_id, sequence, "
                     "route_id, stop_id, kind, channel, rider_category_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               params)
      .status();
}

// Moves the rows of the tables migration 3005 renamed into its layout
// (computing each rider's bucket, which SQL cannot) and drops them. Runs
// once, in the transaction that deletes the transit_upgrades row. The
// legacy tables are read whole; they hold what the platform stored before
// 3005.
Status UpgradeV1(store::Transaction& tx) {
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT terminal_id, sequence, at, route_id, stop_id, kind, channel, "
               "rider_category_id, rider_id, valid, refused_reason, uploaded_at, "
               "CASE WHEN EXISTS (SELECT 1 FROM transit_pending_v1 p WHERE p.rider_id = "
               "t.rider_id AND p.operating_day = t.operating_day) THEN 1 ELSE 0 END "
               "FROM transit_taps_v1 t",
               {}));
  Status status;
  for (const store::Row& row : rows) {
    TapUpload u{.tap = TapFromRow(row, 0, status),
                .rider_id = row.Text(8),
                .valid = row.Int(9) == 1,
                .refused_reason = row.Text(10)};
    CITYCODE_RETURN_IF_ERROR(status);
    CITYCODE_RETURN_IF_ERROR(StoreIdentity(tx, u).status());
    if (!u.valid) {
      CITYCODE_RETURN_IF_ERROR(StoreRefused(tx, u, row.Int(11)));
      continue;
    }
    // A day still queued for faring is queued again.
    CITYCODE_RETURN_IF_ERROR(StoreValid(
        tx, u.rider_id, u.tap, row.Int(12) == 1 ? Destination::kInbox : Destination::kTaps));
  }
  CITYCODE_ASSIGN_OR_RETURN(
      rows, tx.Query("SELECT operating_day, rider_id, trip_id, start_at, amount, base_amount, "
                     "agency_id, rules, updated_at FROM transit_charges_v1",
                     {}));
  for (const store::Row& row : rows) {
    const store::Value params[] = {Text(row.Text(0)), Int(RiderBucket(row.Text(1))),
                                   Text(row.Text(1)), Text(row.Text(2)),
                                   Int(row.Int(3)),   Int(row.Int(4)),
                                   Int(row.Int(5)),   Text(row.Text(6)),
                                   Text(row.Text(7)), Int(row.Int(8))};
    CITYCODE_RETURN_IF_ERROR(tx.Execute(kInsertCharge, params).status());
  }
  // A posting was two rows, the receivable's and the counter account's.
  // Payments have no trip, hence no operating day.
  CITYCODE_ASSIGN_OR_RETURN(
      rows, tx.Query("SELECT COALESCE(c.operating_day, ''), l.rider_id, l.posting_id, l.at, "
                     "l.amount, o.account, l.kind, l.trip_id, l.memo "
                     "FROM transit_ledger_v1 l "
                     "JOIN transit_ledger_v1 o ON o.posting_id = l.posting_id "
                     "AND o.account <> 'receivable' "
                     "LEFT JOIN transit_charges_v1 c ON c.trip_id = l.trip_id "
                     "WHERE l.account = 'receivable'",
                     {}));
  std::map<std::string, std::int64_t> balances;
  for (const store::Row& row : rows) {
    balances[row.Text(1)] += row.Int(4);
    const store::Value params[] = {Text(row.Text(0)),
                                   Int(RiderBucket(row.Text(1))),
                                   Text(row.Text(1)),
                                   Text(row.Text(2)),
                                   Int(row.Int(3)),
                                   Int(row.Int(4)),
                                   Text(row.Text(5)),
                                   Text(row.Text(6)),
                                   row[7],
                                   Text(row.Text(8))};
    CITYCODE_RETURN_IF_ERROR(tx.Execute(kInsertPosting, params).status());
  }
  CITYCODE_ASSIGN_OR_RETURN(rows,
                            tx.Query("SELECT rider_id, updated_at FROM transit_riders_v1", {}));
  std::map<std::string, std::int64_t> updated;
  for (const store::Row& row : rows) updated[row.Text(0)] = row.Int(1);
  for (const auto& [rider_id, balance] : balances) updated.try_emplace(rider_id, 0);
  for (const auto& [rider_id, at] : updated) {
    auto balance = balances.find(rider_id);
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO transit_riders (bucket, rider_id, balance, updated_at) "
                   "VALUES (?, ?, ?, ?)",
                   {Int(RiderBucket(rider_id)), Text(rider_id),
                    Int(balance == balances.end() ? 0 : balance->second), Int(at)})
            .status());
  }
  for (const char* table : {"transit_taps_v1", "transit_charges_v1", "transit_ledger_v1",
                            "transit_riders_v1", "transit_pending_v1"}) {
    CITYCODE_RETURN_IF_ERROR(tx.Execute(std::string("DROP TABLE ") + table, {}).status());
  }
  return OkStatus();
}
}  // namespace

struct Rides::Impl {
  store::Database& db;
  const Clock& clock;
  const Feed& feed;
  const FareExtensions& extensions;
  FareOptions options;
  std::unique_ptr<FareRanges> ranges;  // shared by every rider's faring

  // The first instant of operating day `d`, in unix seconds.
  std::int64_t DayStart(const Date& d) const {
    return ToUnixSeconds(options.time.StartOf(d.days()) + options.day_start);
  }

  // The rider's fared taps with from <= at < to.
  Result<std::vector<Tap>> LoadTaps(store::Transaction& tx, std::string_view rider_id,
                                    std::int64_t from, std::int64_t to) const {
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<store::Row> rows,
        tx.Query("SELECT terminal_id, sequence, at, route_id, stop_id, kind, channel, "
                 "rider_category_id FROM transit_taps WHERE bucket = ? AND rider_id = ? AND "
                 "at >= ? AND at < ?",
                 {Int(RiderBucket(rider_id)), Text(rider_id), Int(from), Int(to)}));
    std::vector<Tap> taps;
    taps.reserve(rows.size());
    Status status;
    for (const store::Row& row : rows) taps.push_back(TapFromRow(row, 0, status));
    CITYCODE_RETURN_IF_ERROR(status);
    return taps;
  }

  Status CheckBatch(const std::vector<TapUpload>& batch, std::size_t max_taps) const {
    if (batch.size() > max_taps) {
      return InvalidArgument("a batch holds at most " + std::to_string(max_taps) + " taps");
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Status checked = CheckUpload(feed, batch[i]);
      if (!checked.ok()) {
        return InvalidArgument("tap " + std::to_string(i) + ": " + checked.message());
      }
    }
    return OkStatus();
  }

  // Stores the batch's new taps, the valid ones into `to`; the operating
  // days of each rider they touch. Counts into `result` (reset first: a
  // transaction may be retried).
  Result<RiderDays> Store(store::Transaction& tx, const std::vector<TapUpload>& batch,
                          Destination to, UploadResult& result) const {
    result = {};
    RiderDays touched;
    for (const TapUpload& u : batch) {
      CITYCODE_ASSIGN_OR_RETURN(Identity identity, StoreIdentity(tx, u));
      if (identity != Identity::kNew) {
        ++(identity == Identity::kDuplicate ? result.duplicates : result.conflicts);
        continue;
      }
      ++result.stored;
      if (!u.valid) {
        ++result.refused;
        CITYCODE_RETURN_IF_ERROR(StoreRefused(tx, u, ToUnixSeconds(clock.Now())));
        continue;
      }
      CITYCODE_RETURN_IF_ERROR(StoreValid(tx, u.rider_id, u.tap, to));
      if (to == Destination::kTaps) touched[u.rider_id].insert(OperatingDayOf(u.tap.at, options));
    }
    return touched;
  }

  // Fares the rider's `days` again, the rider's row locked first. A new tap can change its
  // neighbouring days too (a metro trip or a window night across the day boundary), so each day is
  // re-fared with both neighbours; overlapping spans merge.
  Status RefareDays(store::Transaction& tx, const std::string& rider_id,
                    const std::set<Date>& days) const {
    CITYCODE_RETURN_IF_ERROR(internal::LockRider(tx, clock.Now(), rider_id));
    std::int64_t owed = 0;
    auto day = days.begin();
    while (day != days.end()) {
      const Date first = day->AddDays(-1);
      Date last = day->AddDays(1);
      for (++day; day != days.end() && day->AddDays(-1) <= last.AddDays(1); ++day) {
        last = day->AddDays(1);
      }
      CITYCODE_RETURN_IF_ERROR(Refare(tx, rider_id, first, last, owed));
    }
    return internal::AddToBalance(tx, clock.Now(), rider_id, owed);
  }

  // The rider's stored charges of `days`, by trip id: one range per day,
  // the key being (operating_day, bucket, rider_id, …).
  Result<std::map<std::string, ChargeRow>> LoadCharges(store::Transaction& tx,
                                                       std::string_view rider_id,
                                                       const std::set<Date>& days) const {
    std::map<std::string, ChargeRow> stored;
    for (const Date& day : days) {
      const std::string day_text = FormatGtfsDate(day);
      CITYCODE_ASSIGN_OR_RETURN(
          std::vector<store::Row> rows,
          tx.Query("SELECT trip_id, amount, base_amount, agency_id, rules FROM transit_charges "
                   "WHERE operating_day = ? AND bucket = ? AND rider_id = ?",
                   {Text(day_text), Int(RiderBucket(rider_id)), Text(rider_id)}));
      for (const store::Row& row : rows) {
        stored.emplace(row.Text(0),
                       ChargeRow{day_text, row.Int(1), row.Int(2), row.Text(3), row.Text(4)});
      }
    }
    return stored;
  }

  Status UpdateCharge(store::Transaction& tx, std::string_view rider_id, const ChargeRow& row,
                      std::string_view trip_id) const {
    const store::Value params[] = {Int(row.amount),
                                   Int(row.base_amount),
                                   Text(row.agency_id),
                                   Text(row.rules),
                                   Int(ToUnixSeconds(clock.Now())),
                                   Text(row.operating_day),
                                   Int(RiderBucket(rider_id)),
                                   Text(rider_id),
                                   Text(trip_id)};
    return tx
        .Execute(
            "UPDATE transit_charges SET amount = ?, base_amount = ?, agency_id = ?, "
            "rules = ?, updated_at = ? WHERE operating_day = ? AND bucket = ? AND "
            "rider_id = ? AND trip_id = ?",
            params)
        .status();
  }

  // Fares the rider's operating days [first, last] again and books the
  // difference from what is stored. The taps of one day more on each side
  // are fared with them, so that a trip or a window night crossing the
  // span's edge is seen whole; only charges inside the span are touched.
  Status Refare(store::Transaction& tx, std::string_view rider_id, const Date& first,
                const Date& last, std::int64_t& owed) const {
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<Tap> taps,
        LoadTaps(tx, rider_id, DayStart(first.AddDays(-1)), DayStart(last.AddDays(2))));
    // A charge's day is its trip's first tap's, and taps are never deleted:
    // only days of the span with taps can hold charges (a bulk faring's
    // span has three days, its rider's taps mostly one).
    std::set<Date> tap_days;
    for (const Tap& t : taps) {
      const Date day = OperatingDayOf(t.at, options);
      if (first <= day && day <= last) tap_days.insert(day);
    }
    std::map<std::string, Charge> fresh;
    for (Charge& c : FareTaps(feed, extensions, std::move(taps), options, ranges.get())) {
      if (c.operating_day < first || last < c.operating_day) continue;
      std::string id = c.trip_id;
      fresh.emplace(std::move(id), std::move(c));
    }
    CITYCODE_ASSIGN_OR_RETURN(auto stored, LoadCharges(tx, rider_id, tap_days));

    const std::int64_t now = ToUnixSeconds(clock.Now());
    for (const auto& [trip_id, c] : fresh) {
      const ChargeRow row{FormatGtfsDate(c.operating_day), c.amount, c.base_amount, c.agency_id,
                          RulesText(c)};
      auto it = stored.find(trip_id);
      if (it == stored.end()) {
        const store::Value params[] = {Text(row.operating_day),
                                       Int(RiderBucket(rider_id)),
                                       Text(rider_id),
                                       Text(trip_id),
                                       Int(ToUnixSeconds(c.start)),
                                       Int(c.amount),
                                       Int(c.base_amount),
                                       Text(c.agency_id),
                                       Text(row.rules),
                                       Int(now)};
        CITYCODE_RETURN_IF_ERROR(tx.Execute(kInsertCharge, params).status());
        // No memo: the trip's rules are on its charge row, and copying them
        // into both ledger rows made the ledger most of the database.
        if (c.amount != 0) {
          CITYCODE_RETURN_IF_ERROR(internal::Post(tx, clock.Now(), rider_id, row.operating_day,
                                                  RevenueAccount(c.agency_id), c.amount, "charge",
                                                  trip_id, "", NewPostingId(), owed));
        }
        continue;
      }
      const ChargeRow& old = it->second;
      if (old.amount != c.amount) {
        CITYCODE_RETURN_IF_ERROR(internal::Post(tx, clock.Now(), rider_id, row.operating_day,
                                                RevenueAccount(c.agency_id), c.amount - old.amount,
                                                "adjustment", trip_id, "re-fared: " + row.rules,
                                                NewPostingId(), owed));
      }
      if (old.amount != row.amount || old.base_amount != row.base_amount ||
          old.agency_id != row.agency_id || old.rules != row.rules) {
        CITYCODE_RETURN_IF_ERROR(UpdateCharge(tx, rider_id, row, trip_id));
      }
    }
    // Trips that no longer exist (an exit-only trip whose entry arrived
    // late) keep their row at 0, and their amount is given back.
    for (const auto& [trip_id, old] : stored) {
      if (fresh.contains(trip_id) || (old.amount == 0 && old.rules == kVoidRules)) continue;
      if (old.amount != 0) {
        CITYCODE_RETURN_IF_ERROR(internal::Post(
            tx, clock.Now(), rider_id, old.operating_day, RevenueAccount(old.agency_id),
            -old.amount, "adjustment", trip_id, kVoidRules, NewPostingId(), owed));
      }
      ChargeRow voided = old;
      voided.amount = 0;
      voided.rules = std::string(kVoidRules);
      CITYCODE_RETURN_IF_ERROR(UpdateCharge(tx, rider_id, voided, trip_id));
    }
    return OkStatus();
  }
};

std::span<const store::Migration> TransitMigrations() { return kMigrations; }

Status MigrateTransit(store::Database& db) {
  CITYCODE_RETURN_IF_ERROR(db.Migrate(kMigrations));
  return store::RunInTransaction(
      db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        // Claimed by deleting the row: a second process opening at the same
        // time waits for this one, then finds nothing to do.
        CITYCODE_ASSIGN_OR_RETURN(std::int64_t claimed,
                                  tx.Execute("DELETE FROM transit_upgrades WHERE name = 'v1'", {}));
        return claimed == 0 ? OkStatus() : UpgradeV1(tx);
      });
}

Rides::Rides(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Rides::~Rides() = default;

Result<std::unique_ptr<Rides>> Rides::Open(store::Database& db, const Clock& clock,
                                           const Feed& feed, const FareExtensions& extensions,
                                           const FareOptions& options) {
  CITYCODE_RETURN_IF_ERROR(MigrateTransit(db));
  return std::unique_ptr<Rides>(
      new Rides(std::make_unique<Impl>(Impl{.db = db,
                                            .clock = clock,
                                            .feed = feed,
                                            .extensions = extensions,
                                            .options = options,
                                            .ranges = std::make_unique<FareRanges>()})));
}

Result<std::map<std::int64_t, std::int64_t>> Rides::StoredSequences(std::string_view terminal_id,
                                                                    std::int64_t low,
                                                                    std::int64_t high) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows,
                            tx->Query("SELECT sequence, at FROM transit_tap_ids WHERE "
                                      "terminal_id = ? AND sequence >= ? AND sequence <= ?",
                                      {store::Text(terminal_id), low, high}));
  std::map<std::int64_t, std::int64_t> out;
  for (const auto& row : rows) out.emplace(row.Int(0), row.Int(1));
  return out;
}

Result<UploadResult> Rides::UploadTaps(const std::vector<TapUpload>& batch) {
  const Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(impl.CheckBatch(batch, kMaxTapBatch));
  UploadResult result;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(RiderDays touched,
                                  impl.Store(tx, batch, Destination::kTaps, result));
        for (const auto& [rider_id, days] : touched) {  // in id order: no lock cycles
          CITYCODE_RETURN_IF_ERROR(impl.RefareDays(tx, rider_id, days));
        }
        return OkStatus();
      }));
  return result;
}

Result<UploadResult> Rides::IngestTaps(const std::vector<TapUpload>& batch) {
  const Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(impl.CheckBatch(batch, kMaxIngestBatch));
  UploadResult result;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        return impl.Store(tx, batch, Destination::kInbox, result).status();
      }));
  return result;
}

Result<std::int64_t> Rides::FarePending() {
  const Impl& impl = *impl_;
  std::int64_t fared = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        fared = 0;
        // Taken with DELETE … RETURNING: on PostgreSQL a concurrent faring
        // of the same bucket waits for this one, then finds the rows gone
        // and looks for another bucket; taps an ingest adds meanwhile stay
        // queued.
        std::vector<store::Row> rows;
        while (rows.empty()) {
          CITYCODE_ASSIGN_OR_RETURN(
              auto first,
              tx.QueryOptional("SELECT bucket FROM transit_inbox ORDER BY bucket LIMIT 1", {}));
          if (!first) return OkStatus();
          CITYCODE_ASSIGN_OR_RETURN(
              rows, tx.Query("DELETE FROM transit_inbox WHERE bucket = ? RETURNING terminal_id, "
                             "sequence, at, route_id, stop_id, kind, channel, rider_category_id, "
                             "rider_id",
                             {Int(first->Int(0))}));
        }
        std::map<std::string, std::vector<Tap>> by_rider;
        Status status;
        for (const store::Row& row : rows) {
          by_rider[row.Text(8)].push_back(TapFromRow(row, 0, status));
        }
        CITYCODE_RETURN_IF_ERROR(status);
        for (auto& [rider_id, taps] : by_rider) {  // in id order, as UploadTaps locks
          std::sort(taps.begin(), taps.end(), [](const Tap& a, const Tap& b) {
            return std::tie(a.at, a.terminal_id, a.sequence) <
                   std::tie(b.at, b.terminal_id, b.sequence);
          });
          std::set<Date> days;
          for (const Tap& t : taps) {
            CITYCODE_RETURN_IF_ERROR(StoreValid(tx, rider_id, t, Destination::kTaps));
            days.insert(OperatingDayOf(t.at, impl.options));
          }
          CITYCODE_RETURN_IF_ERROR(impl.RefareDays(tx, rider_id, days));
          ++fared;
        }
        return OkStatus();
      }));
  return fared;
}

Result<std::vector<StoredCharge>> ReadRiderCharges(store::Transaction& tx,
                                                   std::string_view rider_id,
                                                   const Date& operating_day) {
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT trip_id, start_at, amount, base_amount, agency_id, rules FROM "
               "transit_charges WHERE operating_day = ? AND bucket = ? AND rider_id = ? "
               "ORDER BY start_at, trip_id",
               {Text(FormatGtfsDate(operating_day)), Int(RiderBucket(rider_id)), Text(rider_id)}));
  std::vector<StoredCharge> out;
  out.reserve(rows.size());
  for (const store::Row& row : rows) {
    out.push_back(StoredCharge{.trip_id = row.Text(0),
                               .rider_id = std::string(rider_id),
                               .operating_day = operating_day,
                               .start = FromUnixSeconds(row.Int(1)),
                               .amount = row.Int(2),
                               .base_amount = row.Int(3),
                               .agency_id = row.Text(4),
                               .rules = row.Text(5)});
  }
  return out;
}

Result<std::vector<StoredCharge>> Rides::RiderCharges(std::string_view rider_id,
                                                      const Date& operating_day) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  return ReadRiderCharges(*tx, rider_id, operating_day);
}

}  // namespace citycode::transit
