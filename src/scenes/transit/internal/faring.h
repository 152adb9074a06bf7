// Storing a batch of taps and faring the rider days it touches: the one
// path every tap takes into the rides (a gate's upload, Rides::UploadTaps;
// a bulk load, BulkTaps) — the same checks, the same rows, the same fares.
#ifndef CITYCODE_SCENES_TRANSIT_INTERNAL_FARING_H_
#define CITYCODE_SCENES_TRANSIT_INTERNAL_FARING_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/internal/tap_rows.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

namespace citycode::transit::internal {

// rider id -> operating days, both in order.
using RiderDays = std::map<std::string, std::set<Date>>;

// A charge row as stored.
struct ChargeRow {
  std::string operating_day;
  std::int64_t amount = 0, base_amount = 0;
  std::string agency_id, rules;
};

// Rides and BulkTaps each hold one; its methods are const and it is safe
// to share (FareRanges is).
struct RiderFaring {
  store::Database& db;
  const Clock& clock;
  const Feed& feed;
  const FareExtensions& extensions;
  FareOptions options;
  std::unique_ptr<FareRanges> ranges;  // shared by every rider's faring

  // The first instant of operating day `d`, in unix seconds.
  std::int64_t DayStart(const Date& d) const;
  // The rider's fared taps with from <= at < to.
  Result<std::vector<Tap>> LoadTaps(store::Transaction& tx, std::string_view rider_id,
                                    std::int64_t from, std::int64_t to) const;
  Status CheckBatch(const std::vector<TapUpload>& batch, std::size_t max_taps) const;
  // Stores the batch's new taps, the valid ones into `to`; the operating
  // days of each rider they touch. Counts into `result` (reset first: a
  // transaction may be retried).
  Result<RiderDays> Store(store::Transaction& tx, const std::vector<TapUpload>& batch,
                          Destination to, UploadResult& result) const;
  // Fares the rider's `days` again, the rider's row locked first. A new tap can change its
  // neighbouring days too (a metro trip or a window night across the day boundary), so each day is
  // re-fared with both neighbours; overlapping spans merge.
  Status RefareDays(store::Transaction& tx, const std::string& rider_id,
                    const std::set<Date>& days) const;
  // The rider's stored charges of `days`, by trip id: one range per day,
  // the key being (operating_day, bucket, rider_id, …).
  Result<std::map<std::string, ChargeRow>> LoadCharges(store::Transaction& tx,
                                                       std::string_view rider_id,
                                                       const std::set<Date>& days) const;
  Status UpdateCharge(store::Transaction& tx, std::string_view rider_id, const ChargeRow& row,
                      std::string_view trip_id) const;
  // Fares the rider's operating days [first, last] again and books the
  // difference from what is stored. The taps of one day more on each side
  // are fared with them, so that a trip or a window night crossing the
  // span's edge is seen whole; only charges inside the span are touched.
  Status Refare(store::Transaction& tx, std::string_view rider_id, const Date& first,
                const Date& last, std::int64_t& owed) const;
};

std::unique_ptr<RiderFaring> MakeRiderFaring(store::Database& db, const Clock& clock,
                                             const Feed& feed, const FareExtensions& extensions,
                                             const FareOptions& options);

}  // namespace citycode::transit::internal

#endif  // CITYCODE_SCENES_TRANSIT_INTERNAL_FARING_H_
