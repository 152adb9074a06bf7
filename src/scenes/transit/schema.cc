#include "scenes/transit/schema.h"

#include <array>
#include <map>
#include <string>
#include <vector>

#include "scenes/transit/internal/postings.h"
#include "scenes/transit/internal/tap_rows.h"
#include "store/many_rows.h"

namespace citycode::transit {
namespace {

using internal::Destination;
using internal::kInsertCharge;
using internal::kInsertPosting;
using internal::StoreIdentity;
using internal::StoreRefused;
using internal::StoreValid;
using internal::TapFromRow;
using store::Int;
using store::Text;

// Times are unix seconds; operating days are GTFS dates ("20260815"), which
// sort as text. Taps keep the fields FareTaps needs, so a re-fare reads
// only the taps table. 3005 replaced the taps, charges, ledger and riders
// tables of 3001 and the queue of 3003; their old text stays, as applied.
const std::array<store::Migration, 6> kMigrations = {{
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
    // Who runs what (operators.h): the feed's agencies an organisation
    // runs, and the one route a terminal serves when it is bound to one.
    // Platform ids without foreign keys, as the scene's other tables keep
    // them (the rides open on a database of their own in tests).
    {3006, "transit_operators",
     R"sql(
CREATE TABLE transit_operator_agencies (
  org_id TEXT NOT NULL,
  agency_id TEXT NOT NULL,
  PRIMARY KEY (org_id, agency_id)
);
CREATE TABLE transit_terminal_routes (
  terminal_id TEXT PRIMARY KEY,
  route_id TEXT NOT NULL
);
)sql"},
}};

// The steps of UpgradeV1, one legacy table each.
Status UpgradeTaps(store::Transaction& tx) {
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
  return OkStatus();
}

Status UpgradeCharges(store::Transaction& tx) {
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT operating_day, rider_id, trip_id, start_at, amount, base_amount, "
               "agency_id, rules, updated_at FROM transit_charges_v1",
               {}));
  for (const store::Row& row : rows) {
    const store::Value params[] = {Text(row.Text(0)), Int(RiderBucket(row.Text(1))),
                                   Text(row.Text(1)), Text(row.Text(2)),
                                   Int(row.Int(3)),   Int(row.Int(4)),
                                   Int(row.Int(5)),   Text(row.Text(6)),
                                   Text(row.Text(7)), Int(row.Int(8))};
    CITYCODE_RETURN_IF_ERROR(
        store::InsertRows(tx, kInsertCharge, internal::kChargeColumns, params).status());
  }
  return OkStatus();
}

// Returns each rider's balance, the sum of their postings.
Result<std::map<std::string, std::int64_t>> UpgradePostings(store::Transaction& tx) {
  std::map<std::string, std::int64_t> balances;
  // A posting was two rows, the receivable's and the counter account's.
  // Payments have no trip, hence no operating day.
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT COALESCE(c.operating_day, ''), l.rider_id, l.posting_id, l.at, "
               "l.amount, o.account, l.kind, l.trip_id, l.memo "
               "FROM transit_ledger_v1 l "
               "JOIN transit_ledger_v1 o ON o.posting_id = l.posting_id "
               "AND o.account <> 'receivable' "
               "LEFT JOIN transit_charges_v1 c ON c.trip_id = l.trip_id "
               "WHERE l.account = 'receivable'",
               {}));
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
    CITYCODE_RETURN_IF_ERROR(
        store::InsertRows(tx, kInsertPosting, internal::kPostingColumns, params).status());
  }
  return balances;
}

Status UpgradeRiders(store::Transaction& tx, const std::map<std::string, std::int64_t>& balances) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<store::Row> rows,
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
  return OkStatus();
}

// Moves the rows of the tables migration 3005 renamed into its layout
// (computing each rider's bucket, which SQL cannot) and drops them. Runs
// once, in the transaction that deletes the transit_upgrades row. The
// legacy tables are read whole; they hold what the platform stored before
// 3005.
Status UpgradeV1(store::Transaction& tx) {
  CITYCODE_RETURN_IF_ERROR(UpgradeTaps(tx));
  CITYCODE_RETURN_IF_ERROR(UpgradeCharges(tx));
  CITYCODE_ASSIGN_OR_RETURN(auto balances, UpgradePostings(tx));
  CITYCODE_RETURN_IF_ERROR(UpgradeRiders(tx, balances));
  for (const char* table : {"transit_taps_v1", "transit_charges_v1", "transit_ledger_v1",
                            "transit_riders_v1", "transit_pending_v1"}) {
    CITYCODE_RETURN_IF_ERROR(tx.Execute(std::string("DROP TABLE ") + table, {}).status());
  }
  return OkStatus();
}

}  // namespace

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

std::int64_t RiderBucket(std::string_view rider_id) {
  // FNV-1a, 32 bits: stable across builds and platforms, as stored keys need.
  std::uint32_t hash = 2166136261u;
  for (char ch : rider_id) {
    hash ^= static_cast<unsigned char>(ch);
    hash *= 16777619u;
  }
  return static_cast<std::int64_t>(hash % kRiderBuckets);
}

}  // namespace citycode::transit
