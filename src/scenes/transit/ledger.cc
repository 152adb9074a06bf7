// Payments and refunds: the ledger postings that are not fares. The faring
// posts to the same ledger (rides.cc); both write through
// internal/postings.h.
#include "scenes/transit/ledger.h"

#include "scenes/transit/internal/postings.h"
#include "scenes/transit/schema.h"

namespace citycode::transit {

using internal::AddToBalance;
using internal::CheckId;
using internal::CheckReference;
using internal::HasNoControls;
using internal::IsPrintableAscii;
using internal::LockRider;
using internal::NewPostingId;
using internal::Post;
using internal::RevenueAccount;
using internal::SplitTripId;
using store::Int;
using store::Text;

Result<std::unique_ptr<RiderLedger>> RiderLedger::Open(store::Database& db, const Clock& clock,
                                                       const FareOptions& options) {
  CITYCODE_RETURN_IF_ERROR(MigrateTransit(db));
  return std::unique_ptr<RiderLedger>(new RiderLedger(db, clock, options));
}

Result<std::int64_t> ReadRiderBalance(store::Transaction& tx, std::string_view rider_id) {
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT balance FROM transit_riders WHERE bucket = ? AND "
                                 "rider_id = ?",
                                 {Int(RiderBucket(rider_id)), Text(rider_id)}));
  return row ? row->Int(0) : 0;
}

Result<std::int64_t> RiderLedger::RiderBalance(std::string_view rider_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db_.Begin(store::TransactionMode::kRead));
  return ReadRiderBalance(*tx, rider_id);
}

Result<bool> RiderLedger::RecordPayment(std::string_view rider_id, std::int64_t amount,
                                        std::string_view reference) {
  CITYCODE_RETURN_IF_ERROR(CheckId(rider_id, "rider_id"));
  if (amount <= 0) return InvalidArgument("a payment amount must be > 0 fen");
  CITYCODE_RETURN_IF_ERROR(CheckReference(reference, "payment"));
  bool booked = false;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      db_, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const std::string posting_id = NewPostingId();
        const store::Value params[] = {Text(reference), Text(rider_id), Int(amount),
                                       Text(posting_id), Int(ToUnixSeconds(clock_.Now()))};
        CITYCODE_ASSIGN_OR_RETURN(
            std::int64_t inserted,
            tx.Execute("INSERT INTO transit_payments (reference, rider_id, amount, posting_id, at) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (reference) DO NOTHING",
                       params));
        if (inserted == 0) {
          CITYCODE_ASSIGN_OR_RETURN(
              store::Row row, tx.QueryOne("SELECT rider_id, amount FROM transit_payments WHERE "
                                          "reference = ?",
                                          {Text(reference)}));
          if (row.Text(0) != rider_id || row.Int(1) != amount) {
            return AlreadyExists("payment reference '" + std::string(reference) +
                                 "' was booked with another rider or amount");
          }
          booked = false;
          return OkStatus();
        }
        booked = true;
        std::int64_t owed = 0;
        CITYCODE_RETURN_IF_ERROR(Post(tx, clock_.Now(), rider_id, "", "cash", -amount, "payment",
                                      "", "payment " + std::string(reference), posting_id, owed));
        return AddToBalance(tx, clock_.Now(), rider_id, owed);
      }));
  return booked;
}

Result<bool> RiderLedger::RefundTrip(std::string_view trip_id, std::int64_t amount,
                                     std::string_view reference, std::string_view reason) {
  if (trip_id.empty() || trip_id.size() > kMaxTripIdBytes || !IsPrintableAscii(trip_id)) {
    return InvalidArgument("trip_id must be 1-" + std::to_string(kMaxTripIdBytes) +
                           " printable ASCII bytes");
  }
  if (amount <= 0) return InvalidArgument("a refund amount must be > 0 fen");
  CITYCODE_RETURN_IF_ERROR(CheckReference(reference, "refund"));
  if (reason.empty() || reason.size() > kMaxRefusedReasonBytes || !HasNoControls(reason)) {
    return InvalidArgument("a refund reason must be 1-" + std::to_string(kMaxRefusedReasonBytes) +
                           " bytes without control characters");
  }
  bool booked = false;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      db_, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            auto earlier,
            tx.QueryOptional("SELECT trip_id, amount FROM transit_refunds WHERE reference = ?",
                             {Text(reference)}));
        if (earlier) {
          if (earlier->Text(0) != trip_id || earlier->Int(1) != amount) {
            return AlreadyExists("refund reference '" + std::string(reference) +
                                 "' was booked with another trip or amount");
          }
          booked = false;
          return OkStatus();
        }
        // A trip is found through its first tap, whose identity is its id.
        const auto first_tap = SplitTripId(trip_id);
        if (!first_tap) return NotFound("no trip " + std::string(trip_id));
        CITYCODE_ASSIGN_OR_RETURN(
            auto tap, tx.QueryOptional("SELECT rider_id, at FROM transit_tap_ids WHERE "
                                       "terminal_id = ? AND sequence = ?",
                                       {Text(first_tap->first), Int(first_tap->second)}));
        if (!tap) return NotFound("no trip " + std::string(trip_id));
        const std::string day =
            FormatGtfsDate(OperatingDayOf(FromUnixSeconds(tap->Int(1)), options_));
        CITYCODE_ASSIGN_OR_RETURN(
            auto charge,
            tx.QueryOptional(
                "SELECT rider_id, amount, agency_id FROM transit_charges WHERE "
                "operating_day = ? AND bucket = ? AND rider_id = ? AND trip_id = ?",
                {Text(day), Int(RiderBucket(tap->Text(0))), Text(tap->Text(0)), Text(trip_id)}));
        if (!charge) return NotFound("no trip " + std::string(trip_id));
        // The rider's row first, as a re-fare does: the trip's amount cannot
        // change between the check below and the posting.
        CITYCODE_RETURN_IF_ERROR(LockRider(tx, clock_.Now(), charge->Text(0)));
        CITYCODE_ASSIGN_OR_RETURN(
            store::Row refunded,
            tx.QueryOne("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transit_refunds "
                        "WHERE trip_id = ?",
                        {Text(trip_id)}));
        const std::int64_t left = charge->Int(1) - refunded.Int(0);
        if (amount > left) {
          return Status(StatusCode::kFailedPrecondition,
                        "the trip has " + std::to_string(left) + " fen left to refund",
                        "refund_exceeds_charge");
        }
        const std::string posting_id = NewPostingId();
        const store::Value params[] = {Text(reference),
                                       Text(trip_id),
                                       Text(charge->Text(0)),
                                       Int(amount),
                                       Text(reason),
                                       Text(posting_id),
                                       Int(ToUnixSeconds(clock_.Now())),
                                       Text(day),
                                       Text(charge->Text(2))};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO transit_refunds (reference, trip_id, rider_id, amount, reason, "
                       "posting_id, at, operating_day, agency_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       params)
                .status());
        booked = true;
        std::int64_t owed = 0;
        CITYCODE_RETURN_IF_ERROR(Post(tx, clock_.Now(), charge->Text(0), day,
                                      RevenueAccount(charge->Text(2)), -amount, "refund", trip_id,
                                      "refund " + std::string(reference), posting_id, owed));
        return AddToBalance(tx, clock_.Now(), charge->Text(0), owed);
      }));
  return booked;
}

}  // namespace citycode::transit
