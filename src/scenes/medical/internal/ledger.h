// The patients' ledger rows (medical_postings), by transit's rules
// (scenes/transit/rides.h): each posting is one row with both of its
// entries, the patient's receivable debited `amount_fen` and the hospital's
// revenue account ('revenue:<org_id>') credited as much, in integer fen.
// A posting is only ever inserted, never updated or deleted: a refund is a
// posting of its own that reverses a charge. The unique keys (kind,
// appointment_id) and (kind, prescription_id) book each charge and refund
// at most once. The patient's account row (medical_patient_accounts) is
// locked first by every posting for them and holds the number and the sum
// of their postings; a posting's seq is its place in that count, so the
// bill lists them in the order made.
//
// Each Post… function runs in the caller's write transaction, the one that
// makes the business change the posting belongs to (a booking, a
// cancellation, a stop, a pick-up), so both commit together or not at all.
#ifndef CITYCODE_SCENES_MEDICAL_INTERNAL_LEDGER_H_
#define CITYCODE_SCENES_MEDICAL_INTERNAL_LEDGER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "scenes/medical/medical.h"
#include "store/database.h"

namespace citycode::medical::internal {

// When a posting is made: the instant and the city's local day it falls on
// (the hospital's revenue is counted by that day).
struct PostingTime {
  Instant now{};
  std::string local_day;  // YYYY-MM-DD
};

// Books the registration fee of the appointment just booked; nothing for a
// fee of 0.
Status PostRegistrationFee(store::Transaction& tx, const PostingTime& at,
                           std::string_view appointment_id, std::string_view citizen_id,
                           std::string_view org_id, std::int64_t fee_fen);

// Books the refund of the appointment's registration fee, reversing its
// charge, and answers the fen refunded: 0 (and no posting) when nothing was
// charged (a fee of 0, or booked before fees were booked).
Result<std::int64_t> PostRegistrationRefund(store::Transaction& tx, const PostingTime& at,
                                            std::string_view appointment_id);

// Books the price of the prescription just dispensed; nothing for a total
// of 0.
Status PostPrescription(store::Transaction& tx, const PostingTime& at,
                        std::string_view prescription_id, std::string_view citizen_id,
                        std::string_view org_id, std::int64_t total_fen);

// The citizen's postings, newest first, and their totals.
Result<Bill> ReadBill(store::Transaction& tx, std::string_view citizen_id);

// The hospital's postings of the local `day` (YYYY-MM-DD), summed.
Result<DayRevenue> ReadDayRevenue(store::Transaction& tx, std::string_view org_id,
                                  std::string_view day);

}  // namespace citycode::medical::internal

#endif  // CITYCODE_SCENES_MEDICAL_INTERNAL_LEDGER_H_
