// Transit's stored layout: its migrations (block 3001+: taps, charges and
// ledger, the daily clearing of clearing.h, refunds, and since 3005 the
// layout for bulk loads) and how riders are spread over buckets.
#ifndef CITYCODE_SCENES_TRANSIT_SCHEMA_H_
#define CITYCODE_SCENES_TRANSIT_SCHEMA_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace citycode::transit {

// Applies the migrations, then moves any rows the tables before 3005 held
// into the new layout. Every transit class's Open calls it.
Status MigrateTransit(store::Database& db);
// The migrations it applies (tests of an upgrade apply the first ones).
std::span<const store::Migration> TransitMigrations();

// Riders are spread over kRiderBuckets by a hash of their id. A rider's
// taps, charges, postings and row are keyed by (bucket, rider), after the
// operating day where there is one, and the bulk faring takes one bucket per
// transaction. Stored in keys: changing either needs a migration.
inline constexpr std::int64_t kRiderBuckets = 128;
std::int64_t RiderBucket(std::string_view rider_id);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_SCHEMA_H_
