#include "scenes/transit/rides.h"

#include <utility>

#include "scenes/transit/internal/faring.h"
#include "scenes/transit/schema.h"

namespace citycode::transit {

using store::Int;
using store::Text;

Rides::Rides(std::unique_ptr<internal::RiderFaring> faring) : faring_(std::move(faring)) {}
Rides::~Rides() = default;

Result<std::unique_ptr<Rides>> Rides::Open(store::Database& db, const Clock& clock,
                                           const Feed& feed, const FareExtensions& extensions,
                                           const FareOptions& options) {
  CITYCODE_RETURN_IF_ERROR(MigrateTransit(db));
  return std::unique_ptr<Rides>(
      new Rides(internal::MakeRiderFaring(db, clock, feed, extensions, options)));
}

Result<UploadResult> Rides::UploadTaps(const std::vector<TapUpload>& batch) {
  const internal::RiderFaring& impl = *faring_;
  CITYCODE_RETURN_IF_ERROR(impl.CheckBatch(batch, kMaxTapBatch));
  UploadResult result;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(internal::RiderTaps added,
                                  impl.Store(tx, batch, internal::Destination::kTaps, result));
        for (const auto& [rider_id, taps] : added) {  // in id order: no lock cycles
          CITYCODE_RETURN_IF_ERROR(impl.Refare(tx, rider_id, taps));
        }
        return OkStatus();
      }));
  return result;
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

Result<std::vector<Tap>> Rides::RiderTaps(std::string_view rider_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, faring_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx->Query("SELECT terminal_id, sequence, at, route_id, stop_id, kind, channel, "
                "rider_category_id FROM transit_taps WHERE bucket = ? AND rider_id = ? "
                "ORDER BY at, terminal_id, sequence",
                {Int(RiderBucket(rider_id)), Text(rider_id)}));
  std::vector<Tap> out;
  for (const store::Row& row : rows) {
    Tap tap{.terminal_id = row.Text(0),
            .sequence = row.Int(1),
            .at = FromUnixSeconds(row.Int(2)),
            .route_id = row.Text(3),
            .stop_id = row.Text(4),
            .rider_category_id = row.Text(7)};
    CITYCODE_ASSIGN_OR_RETURN(tap.kind, TapKindFromName(row.Text(5)));
    CITYCODE_ASSIGN_OR_RETURN(tap.channel, code::ChannelFromName(row.Text(6)));
    out.push_back(std::move(tap));
  }
  return out;
}

Result<std::vector<StoredCharge>> Rides::RiderCharges(std::string_view rider_id,
                                                      const Date& operating_day) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, faring_->db.Begin(store::TransactionMode::kRead));
  return ReadRiderCharges(*tx, rider_id, operating_day);
}

}  // namespace citycode::transit
