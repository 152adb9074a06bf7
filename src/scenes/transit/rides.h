// Durable taps, and the fares they cost booked in the riders' double-entry
// ledger (deferred payment). Payments and refunds, the ledger's other
// postings, are RiderLedger's (ledger.h); bulk loads are BulkTaps'
// (bulk_taps.h), which store and fare through the same path.
//
// Gates and validators upload taps in batches. A tap's identity is
// (terminal_id, sequence): storing is INSERT … ON CONFLICT DO NOTHING, so a
// batch sent twice, or cut off and sent again, stores each tap once; an
// identity that comes back with another rider or time is a conflict, counted
// and not stored. A tap whose code was refused is kept with its reason and
// never fared.
//
// After storing, every (rider, operating day) touched by a new valid tap is
// fared again with FareTaps over all of that rider's stored taps of the
// span, and the result is reconciled with the charges already posted: only
// the difference is booked (a new trip: a 'charge'; a changed amount or a
// trip that no longer exists: an 'adjustment'). Late, out-of-order taps
// therefore correct a capped night instead of charging on top of it.
//
// Ledger: each posting is one row with both of its entries, the rider's
// 'receivable' debited and a counter account ('revenue:<agency_id>' for
// fares and refunds, 'cash' for payments) credited the same amount, so the
// ledger always balances; the view transit_ledger_lines lists the entries.
// A rider's balance is the sum of their postings (kept on the rider's row
// as it is posted). Amounts are integer fen.
//
// Thread safety: a Rides is safe to share; each upload is one write
// transaction.
#ifndef CITYCODE_SCENES_TRANSIT_RIDES_H_
#define CITYCODE_SCENES_TRANSIT_RIDES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "store/database.h"

namespace citycode::transit {
namespace internal {
struct RiderFaring;
}  // namespace internal

// One tap as a terminal uploads it.
struct TapUpload {
  Tap tap;
  // The platform's opaque citizen id; may be empty only for a refused tap
  // (an unreadable code names no one).
  std::string rider_id;
  bool valid = true;
  std::string refused_reason;  // required when !valid, empty otherwise
};

// A tap as the terminal read it: the code is the scanned text. Who rode is
// what verifying the code says (tap_upload.h).
struct ScannedTap {
  Tap tap;  // its channel and rider category are the code's
  std::string code;
};

struct UploadResult {
  std::int64_t stored = 0;      // taps new to the server (refused ones included)
  std::int64_t duplicates = 0;  // taps already stored (or twice in the batch): ignored
  std::int64_t refused = 0;     // of `stored`, the refused taps
  // Taps whose (terminal_id, sequence) was stored before for another rider
  // or time: not stored. The terminal's numbering went wrong (a counter
  // reset, a device replaced under the same id) or the upload was altered;
  // the first tap stands.
  std::int64_t conflicts = 0;
  UploadResult& operator+=(const UploadResult& more) {
    stored += more.stored;
    duplicates += more.duplicates;
    refused += more.refused;
    conflicts += more.conflicts;
    return *this;
  }
  friend bool operator==(const UploadResult&, const UploadResult&) = default;
};

// A trip's current charge, as last fared.
struct StoredCharge {
  std::string trip_id, rider_id;
  Date operating_day;
  Instant start{};
  std::int64_t amount = 0;       // fen; 0 for a trip that no longer exists
  std::int64_t base_amount = 0;  // the leg fare before windows and caps
  std::string agency_id;
  std::string rules;  // which rules produced the amount, "key=value;…"
};

// The rules of a trip that no longer exists (its taps now make another
// trip): its charge row stays, at amount 0.
inline constexpr std::string_view kVoidTripRules = "void: the trip's taps now make another trip";

// The limits UploadTaps checks.
inline constexpr std::size_t kMaxTapBatch = 10000;
// BulkTaps::Ingest takes larger batches: fewer commits, each appending to
// the same pages.
inline constexpr std::size_t kMaxIngestBatch = 200000;
inline constexpr std::size_t kMaxTapIdBytes = 128;  // terminal, rider, route, stop, category
inline constexpr std::size_t kMaxTripIdBytes = kMaxTapIdBytes + 21;  // "terminal:sequence"
inline constexpr std::size_t kMaxRefusedReasonBytes = 256;
inline constexpr std::size_t kMaxScannedCodeBytes = 4096;
inline constexpr std::size_t kMaxPaymentReferenceBytes = 128;

// The rider's charges of one operating day in start order (voided trips
// included), read in `tx`: Rides::RiderCharges, and the daily bill, which
// reads them in one transaction with the bill's other rows.
Result<std::vector<StoredCharge>> ReadRiderCharges(store::Transaction& tx,
                                                   std::string_view rider_id,
                                                   const Date& operating_day);

class Rides {
 public:
  // Applies the migrations. `db`, `clock`, `feed` and `extensions` must
  // outlive the Rides.
  static Result<std::unique_ptr<Rides>> Open(store::Database& db, const Clock& clock,
                                             const Feed& feed, const FareExtensions& extensions,
                                             const FareOptions& options = {});
  ~Rides();
  Rides(const Rides&) = delete;
  Rides& operator=(const Rides&) = delete;

  // Stores the batch, fares the affected rider days again and books the
  // difference, all in one transaction. invalid_argument naming the first
  // bad tap's index if any tap is malformed or names a route or stop not in
  // the feed: then nothing is written.
  Result<UploadResult> UploadTaps(const std::vector<TapUpload>& batch);
  // The rider's trips of one operating day, in start order.
  Result<std::vector<StoredCharge>> RiderCharges(std::string_view rider_id,
                                                 const Date& operating_day);
  // Every tap stored for the rider, oldest first (their data export).
  Result<std::vector<Tap>> RiderTaps(std::string_view rider_id);

 private:
  explicit Rides(std::unique_ptr<internal::RiderFaring> faring);
  std::unique_ptr<internal::RiderFaring> faring_;
};

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_RIDES_H_
