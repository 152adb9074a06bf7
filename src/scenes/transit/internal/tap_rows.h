// The rows a tap is stored as: its identity (terminal, sequence), and the
// tap itself in the refused, the fared or the queued table. Shared by the
// rides, the bulk load and the upgrade of the tables before 3005.
#ifndef CITYCODE_SCENES_TRANSIT_INTERNAL_TAP_ROWS_H_
#define CITYCODE_SCENES_TRANSIT_INTERNAL_TAP_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

namespace citycode::transit::internal {

// Written by a re-fare and by the upgrade from the tables before 3005,
// with store::InsertRows.
inline constexpr std::string_view kInsertCharge =
    "INSERT INTO transit_charges (operating_day, bucket, rider_id, trip_id, start_at, amount, "
    "base_amount, agency_id, rules, updated_at) VALUES";
inline constexpr std::size_t kChargeColumns = 10;

// Where a batch's new valid taps go: fared at once (Rides::UploadTaps), or
// queued in the inbox for BulkTaps::FarePending.
enum class Destination { kTaps, kInbox };

enum class Identity { kNew, kDuplicate, kConflict };

// A tap from a row whose columns from `first` on are terminal_id, sequence,
// at, route_id, stop_id, kind, channel, rider_category_id: the fields
// FareTaps needs. A stored value that does not parse sets `status`.
Tap TapFromRow(const store::Row& row, std::size_t first, Status& status);

// Records the tap's identity: new, stored before with the same rider and
// time, or stored before with another.
Result<Identity> StoreIdentity(store::Transaction& tx, const TapUpload& u);
Status StoreRefused(store::Transaction& tx, const TapUpload& u, std::int64_t uploaded_at);
// A valid tap into `to`: both tables take the same columns.
Status StoreValid(store::Transaction& tx, std::string_view rider_id, const Tap& t, Destination to);
// A valid tap's row, appended to `values`; StoreValidRows writes many.
void AppendValid(std::vector<store::Value>& values, std::string_view rider_id, const Tap& t);
Status StoreValidRows(store::Transaction& tx, std::span<const store::Value> values, Destination to);

}  // namespace citycode::transit::internal

#endif  // CITYCODE_SCENES_TRANSIT_INTERNAL_TAP_ROWS_H_
