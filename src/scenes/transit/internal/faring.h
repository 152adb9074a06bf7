// Storing a batch of taps and faring each rider's trips from their first
// new tap on: the one path every tap takes into the rides (a gate's upload,
// Rides::UploadTaps; a bulk load, BulkTaps) — the same checks, the same
// rows, the same fares.
#ifndef CITYCODE_SCENES_TRANSIT_INTERNAL_FARING_H_
#define CITYCODE_SCENES_TRANSIT_INTERNAL_FARING_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/internal/postings.h"
#include "scenes/transit/internal/tap_rows.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

namespace citycode::transit::internal {

// Fare order: the order FareTaps sorts taps and trips in, and the taps
// table's key within a rider.
inline auto FareOrder(const Tap& t) { return std::tie(t.at, t.terminal_id, t.sequence); }

// A batch's new taps of one rider.
struct NewTaps {
  std::set<Date> days;  // their operating days
  Tap first;            // the first of them in fare order
  void Add(const Tap& tap, const FareOptions& options);
};
// By rider id, in order.
using RiderTaps = std::map<std::string, NewTaps>;

// A charge row as stored.
struct ChargeRow {
  std::string operating_day;
  std::int64_t amount = 0, base_amount = 0;
  std::string agency_id, rules;
  std::int64_t start_at = 0;
};

// Which rules produced a charge: the text stored with it, stable so that an
// unchanged re-fare compares equal. Its values are escaped, so that
// ParseRules reads them back whatever the feed's ids hold.
std::string RulesText(const Charge& c);
// Fills from `rules` (RulesText's) the fields of `c` that count towards
// windows and caps: rider_category_id, window_id, window_night,
// daily_cap_applied. Invalid argument if the text does not parse.
Status ParseRules(std::string_view rules, Charge& c);

// New charge and posting rows and the balances they change, collected and
// then written by Write with a few statements each (store::InsertRows): a
// rider's re-fare, or the riders of a bulk load's bucket.
class Bookings {
 public:
  explicit Bookings(Instant now) : now_(now) {}
  // A trip's first charge, and its posting unless it is 0.
  void AddCharge(std::string_view rider_id, const Charge& c);
  // A posting (see Post).
  void AddPosting(std::string_view rider_id, std::string_view operating_day,
                  std::string_view counter_account, std::int64_t amount, std::string_view kind,
                  std::string_view trip_id, std::string_view memo);
  Status Write(store::Transaction& tx) const;

 private:
  Instant now_;
  std::vector<store::Value> charges_, postings_;
  Owed owed_;
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
  // The rider's fared taps with from <= at < to; only the metro's if
  // `gated_only`.
  Result<std::vector<Tap>> LoadTaps(store::Transaction& tx, std::string_view rider_id,
                                    std::int64_t from, std::int64_t to,
                                    bool gated_only = false) const;
  Status CheckBatch(const std::vector<TapUpload>& batch, std::size_t max_taps) const;
  // Stores the batch's new taps, the valid ones into `to`; each rider's
  // new valid taps. Counts into `result` (reset first: a transaction may be
  // retried).
  Result<RiderTaps> Store(store::Transaction& tx, const std::vector<TapUpload>& batch,
                          Destination to, UploadResult& result) const;
  // Fares the rider's trips again from the first new tap on (from the metro
  // entry before it, if one waits for an exit), the rider's row locked
  // first, and books the difference from what is stored. The trips before
  // are not fared again: what they paid towards windows and caps is read
  // from their charges. So an upload costs the taps after its first, not
  // the rider's day. Charges up to the day after the last new tap's are
  // touched (a metro trip across the day boundary can move a charge there).
  Status Refare(store::Transaction& tx, const std::string& rider_id, const NewTaps& added) const;
  // Stores and fares the taps a bulk load took from one inbox bucket (by
  // rider, each in fare order), with a few statements for the bucket: a
  // rider with no charge near the taps' days (most of a day's load) is
  // fared from the taps alone, which is what Refare would do after reading
  // nothing; the others are re-fared one by one.
  Status FareTaken(store::Transaction& tx,
                   const std::map<std::string, std::vector<Tap>>& by_rider) const;
  // What Refare computes when it reads no tap and no charge: `from` is the
  // first new tap, the taps are the new ones, nothing paid before.
  void FareFromTapsAlone(const std::string& rider_id, const std::vector<Tap>& taps,
                         const NewTaps& added, Bookings& bookings) const;

  // Where the trips to fare again start: at `first`, or at the metro entry
  // before it if no exit came between (a new exit may complete it).
  Result<Tap> TailStart(store::Transaction& tx, std::string_view rider_id, const Tap& first) const;
  // The stored charges of the trips that start at the taps `tail_ids`, on
  // `days`, none starting before `from`; by trip id.
  Result<std::map<std::string, ChargeRow>> LoadTailCharges(
      store::Transaction& tx, std::string_view rider_id, const std::set<Date>& days,
      const Tap& from, const std::set<std::string>& tail_ids) const;
  // What the trips before `from` paid towards windows and caps: summed in
  // the database by rules, less the tail's charges that start with `from`.
  Result<PaidBefore> LoadPaidBefore(store::Transaction& tx, std::string_view rider_id,
                                    const Tap& from,
                                    const std::map<std::string, ChargeRow>& tail) const;
  // Of the riders of one bucket, the operating days on which each has
  // charges, among `days`.
  Result<std::map<std::string, std::set<Date>>> ChargedDays(store::Transaction& tx,
                                                            std::int64_t bucket,
                                                            const std::set<Date>& days) const;
  Status UpdateCharge(store::Transaction& tx, std::string_view rider_id, const ChargeRow& row,
                      std::string_view trip_id) const;
  // Books `c` against its stored row, if any: a new row and posting into
  // `bookings`, a changed one at once.
  Status Book(store::Transaction& tx, std::string_view rider_id, const Charge& c,
              const ChargeRow* stored, Bookings& bookings) const;
  // Gives back a stored trip that no longer exists; its row stays, at 0.
  Status Void(store::Transaction& tx, std::string_view rider_id, std::string_view trip_id,
              const ChargeRow& stored, Bookings& bookings) const;
};

std::unique_ptr<RiderFaring> MakeRiderFaring(store::Database& db, const Clock& clock,
                                             const Feed& feed, const FareExtensions& extensions,
                                             const FareOptions& options);

}  // namespace citycode::transit::internal

#endif  // CITYCODE_SCENES_TRANSIT_INTERNAL_FARING_H_
