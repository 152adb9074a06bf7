// The riders' money beyond fares: what a rider owes, the payments received
// and the refunds given. They are postings in the same double-entry ledger
// the faring books charges to (rides.h), each with both of its entries.
//
// Thread safety: a RiderLedger is safe to share; each call is one write
// transaction.
#ifndef CITYCODE_SCENES_TRANSIT_LEDGER_H_
#define CITYCODE_SCENES_TRANSIT_LEDGER_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "scenes/transit/fare_engine.h"
#include "scenes/transit/rides.h"
#include "store/database.h"

namespace citycode::transit {

// What the rider owes, read in `tx` (the daily bill reads it with its
// other rows).
Result<std::int64_t> ReadRiderBalance(store::Transaction& tx, std::string_view rider_id);

class RiderLedger {
 public:
  // Applies the transit migrations. `db` and `clock` must outlive it;
  // `options` name the operating day a refunded trip belongs to.
  static Result<std::unique_ptr<RiderLedger>> Open(store::Database& db, const Clock& clock,
                                                   const FareOptions& options = {});

  // What the rider owes: charges and adjustments minus payments, in fen.
  Result<std::int64_t> RiderBalance(std::string_view rider_id);
  // Books a payment received from the rider. Idempotent by `reference`:
  // true if booked now, false if that reference was booked before with the
  // same rider and amount; already_exists if it was booked differently.
  Result<bool> RecordPayment(std::string_view rider_id, std::int64_t amount,
                             std::string_view reference);
  // Gives back `amount` fen of a trip's fare (a faulty gate, a complaint
  // upheld): the rider owes less and the trip's agency, which bears it, is
  // settled less. Idempotent by `reference` like RecordPayment. not_found
  // for an unknown trip; failed_precondition (refund_exceeds_charge) if the
  // trip's amount less its earlier refunds is smaller. A refund stands if a
  // later re-fare lowers the trip's amount.
  Result<bool> RefundTrip(std::string_view trip_id, std::int64_t amount, std::string_view reference,
                          std::string_view reason);

 private:
  RiderLedger(store::Database& db, const Clock& clock, const FareOptions& options)
      : db_(db), clock_(clock), options_(options) {}
  store::Database& db_;
  const Clock& clock_;
  const FareOptions options_;
};

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_LEDGER_H_
