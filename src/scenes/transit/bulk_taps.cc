#include "scenes/transit/bulk_taps.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <utility>

#include "scenes/transit/internal/faring.h"
#include "scenes/transit/schema.h"
#include "scenes/transit/tap_file.h"

namespace citycode::transit {
namespace {

using store::Int;
using Seconds = std::chrono::duration<double>;

// Stores every batch of the file; the next batch is read and parsed while
// this one is stored.
Status IngestAll(TapFileReader& reader, std::string_view file_name, BulkTaps& bulk,
                 std::size_t batch_taps, TapFileLoad& load) {
  auto read_next = [&] {
    return std::async(std::launch::async, [&] { return reader.Next(batch_taps); });
  };
  auto next = read_next();
  for (;;) {
    auto batch = next.get();
    if (!batch.ok()) {
      return InvalidArgument(std::string(file_name) + ":" + batch.status().message());
    }
    if (batch->empty()) return OkStatus();
    next = read_next();
    CITYCODE_ASSIGN_OR_RETURN(UploadResult stored, bulk.Ingest(*batch));
    load.taps += static_cast<std::int64_t>(batch->size());
    load.stored.stored += stored.stored;
    load.stored.duplicates += stored.duplicates;
    load.stored.refused += stored.refused;
    load.stored.conflicts += stored.conflicts;
  }
}

}  // namespace

BulkTaps::BulkTaps(std::unique_ptr<internal::RiderFaring> faring) : faring_(std::move(faring)) {}
BulkTaps::~BulkTaps() = default;

Result<std::unique_ptr<BulkTaps>> BulkTaps::Open(store::Database& db, const Clock& clock,
                                                 const Feed& feed, const FareExtensions& extensions,
                                                 const FareOptions& options) {
  CITYCODE_RETURN_IF_ERROR(MigrateTransit(db));
  return std::unique_ptr<BulkTaps>(
      new BulkTaps(internal::MakeRiderFaring(db, clock, feed, extensions, options)));
}

Result<UploadResult> BulkTaps::Ingest(const std::vector<TapUpload>& batch) {
  const internal::RiderFaring& impl = *faring_;
  CITYCODE_RETURN_IF_ERROR(impl.CheckBatch(batch, kMaxIngestBatch));
  UploadResult result;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        return impl.Store(tx, batch, internal::Destination::kInbox, result).status();
      }));
  return result;
}

Result<std::int64_t> BulkTaps::FarePending() {
  const internal::RiderFaring& impl = *faring_;
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
          by_rider[row.Text(8)].push_back(internal::TapFromRow(row, 0, status));
        }
        CITYCODE_RETURN_IF_ERROR(status);
        for (auto& [rider_id, taps] : by_rider) {  // in id order, as UploadTaps locks
          // In key order: appended to the rider's range of the taps table.
          std::sort(taps.begin(), taps.end(), [](const Tap& a, const Tap& b) {
            return internal::FareOrder(a) < internal::FareOrder(b);
          });
          internal::NewTaps added;
          for (const Tap& t : taps) {
            CITYCODE_RETURN_IF_ERROR(
                internal::StoreValid(tx, rider_id, t, internal::Destination::kTaps));
            added.Add(t, impl.options);
          }
          CITYCODE_RETURN_IF_ERROR(impl.Refare(tx, rider_id, added));
          ++fared;
        }
        return OkStatus();
      }));
  return fared;
}

Result<TapFileLoad> LoadTapFile(std::istream& in, std::string_view file_name, BulkTaps& bulk,
                                std::size_t batch_taps) {
  TapFileLoad load;
  TapFileReader reader(in);
  const auto start = std::chrono::steady_clock::now();
  CITYCODE_RETURN_IF_ERROR(IngestAll(reader, file_name, bulk, batch_taps, load));
  const auto stored_at = std::chrono::steady_clock::now();
  for (;;) {
    CITYCODE_ASSIGN_OR_RETURN(std::int64_t fared, bulk.FarePending());
    if (fared == 0) break;
    load.riders_fared += fared;
  }
  load.ingest_seconds = Seconds(stored_at - start).count();
  load.fare_seconds = Seconds(std::chrono::steady_clock::now() - stored_at).count();
  return load;
}

}  // namespace citycode::transit
