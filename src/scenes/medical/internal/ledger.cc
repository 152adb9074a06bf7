#include "scenes/medical/internal/ledger.h"

#include <optional>
#include <utility>

#include "crypto/random.h"

namespace citycode::medical::internal {
namespace {

using store::Int;
using store::Text;
using store::Time;

// What a posting is about: exactly one of the two ids, as its kind says.
struct Posted {
  PostingKind kind = PostingKind::kRegistrationFee;
  std::string citizen_id;
  std::string org_id;
  std::string appointment_id;
  std::string prescription_id;
  std::string reverses;  // a refund's charge
  std::int64_t amount_fen = 0;
};

store::Value OptionalText(std::string_view v) {
  return v.empty() ? store::Value(nullptr) : store::Value(std::string(v));
}

std::string RevenueAccount(std::string_view org_id) { return "revenue:" + std::string(org_id); }

// Adds the posting to the patient's account row, made on their first. The
// row serialises the patient's postings (PostgreSQL waits on it, SQLite
// holds the write lock), so the seq it answers cannot race another
// transaction of the same patient.
Result<std::int64_t> AddToAccount(store::Transaction& tx, const PostingTime& at, const Posted& p) {
  const store::Value row[] = {Text(p.citizen_id), Int(p.amount_fen), Time(at.now)};
  CITYCODE_ASSIGN_OR_RETURN(
      store::Row counted,
      tx.QueryOne("INSERT INTO medical_patient_accounts (citizen_id, postings, balance_fen, "
                  "updated_at) VALUES (?, 1, ?, ?) ON CONFLICT (citizen_id) DO UPDATE SET "
                  "postings = medical_patient_accounts.postings + 1, balance_fen = "
                  "medical_patient_accounts.balance_fen + excluded.balance_fen, updated_at = "
                  "excluded.updated_at RETURNING postings",
                  row));
  return counted.Int(0);
}

// Takes back AddToAccount for a posting booked before.
Status TakeFromAccount(store::Transaction& tx, const Posted& p) {
  const store::Value row[] = {Int(p.amount_fen), Text(p.citizen_id)};
  return tx
      .Execute(
          "UPDATE medical_patient_accounts SET postings = postings - 1, balance_fen = "
          "balance_fen - ? WHERE citizen_id = ?",
          row)
      .status();
}

// By the columns of the unique keys, so that their indexes answer.
constexpr std::string_view kEarlierOfAppointment =
    "SELECT citizen_id, amount_fen FROM medical_postings WHERE kind = ? AND appointment_id = ?";
constexpr std::string_view kEarlierOfPrescription =
    "SELECT citizen_id, amount_fen FROM medical_postings WHERE kind = ? AND prescription_id = ?";

// A posting of (kind, id) booked before: booking it again changes nothing
// (true). Every caller gets here only after the conditional update of its
// business row, so this would be a bug; one with another patient or amount
// is reported as one.
Result<bool> BookedBefore(store::Transaction& tx, const Posted& p) {
  const bool of_appointment = p.kind != PostingKind::kPrescription;
  const store::Value key[] = {Text(PostingKindName(p.kind)),
                              Text(of_appointment ? p.appointment_id : p.prescription_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto earlier,
      tx.QueryOptional(of_appointment ? kEarlierOfAppointment : kEarlierOfPrescription, key));
  if (!earlier) return false;
  if (earlier->Text(0) != p.citizen_id || earlier->Int(1) != p.amount_fen) {
    return Internal("a medical posting was booked before with another patient or amount");
  }
  return true;
}

// Two statements in the usual case (a posting is booked within the
// business change's write transaction, which bookings queue for): the
// account, then the posting, unless its unique key says it was booked
// before, which is then checked and the account put back.
Status Insert(store::Transaction& tx, const PostingTime& at, const Posted& p) {
  CITYCODE_ASSIGN_OR_RETURN(std::int64_t seq, AddToAccount(tx, at, p));
  const store::Value row[] = {Text(crypto::TimeOrderedId("pst", at.now)),
                              Text(PostingKindName(p.kind)),
                              Text(p.citizen_id),
                              Text(p.org_id),
                              OptionalText(p.appointment_id),
                              OptionalText(p.prescription_id),
                              OptionalText(p.reverses),
                              Int(p.amount_fen),
                              Text(RevenueAccount(p.org_id)),
                              Time(at.now),
                              Text(at.local_day),
                              Int(seq)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto inserted,
      tx.Execute("INSERT INTO medical_postings (id, kind, citizen_id, org_id, appointment_id, "
                 "prescription_id, reverses, amount_fen, counter_account, posted_at, day, seq) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 row));
  if (inserted == 1) return OkStatus();
  CITYCODE_ASSIGN_OR_RETURN(bool booked, BookedBefore(tx, p));
  if (!booked) return Internal("a medical posting conflicted with another of its seq");
  return TakeFromAccount(tx, p);
}

Result<PostingKind> PostingKindFromName(std::string_view name) {
  for (PostingKind kind : {PostingKind::kRegistrationFee, PostingKind::kRegistrationRefund,
                           PostingKind::kPrescription}) {
    if (name == PostingKindName(kind)) return kind;
  }
  return Internal("unknown posting kind in the store");
}

}  // namespace

Status PostRegistrationFee(store::Transaction& tx, const PostingTime& at,
                           std::string_view appointment_id, std::string_view citizen_id,
                           std::string_view org_id, std::int64_t fee_fen) {
  if (fee_fen == 0) return OkStatus();
  return Insert(tx, at,
                {.kind = PostingKind::kRegistrationFee,
                 .citizen_id = std::string(citizen_id),
                 .org_id = std::string(org_id),
                 .appointment_id = std::string(appointment_id),
                 .amount_fen = fee_fen});
}

Result<std::int64_t> PostRegistrationRefund(store::Transaction& tx, const PostingTime& at,
                                            std::string_view appointment_id) {
  const store::Value id[] = {Text(appointment_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto charge,
      tx.QueryOptional("SELECT id, citizen_id, org_id, amount_fen FROM medical_postings WHERE "
                       "kind = 'registration_fee' AND appointment_id = ?",
                       id));
  if (!charge) return std::int64_t{0};
  CITYCODE_RETURN_IF_ERROR(Insert(tx, at,
                                  {.kind = PostingKind::kRegistrationRefund,
                                   .citizen_id = charge->Text(1),
                                   .org_id = charge->Text(2),
                                   .appointment_id = std::string(appointment_id),
                                   .reverses = charge->Text(0),
                                   .amount_fen = -charge->Int(3)}));
  return charge->Int(3);
}

Status PostPrescription(store::Transaction& tx, const PostingTime& at,
                        std::string_view prescription_id, std::string_view citizen_id,
                        std::string_view org_id, std::int64_t total_fen) {
  if (total_fen == 0) return OkStatus();
  return Insert(tx, at,
                {.kind = PostingKind::kPrescription,
                 .citizen_id = std::string(citizen_id),
                 .org_id = std::string(org_id),
                 .prescription_id = std::string(prescription_id),
                 .amount_fen = total_fen});
}

Result<Bill> ReadBill(store::Transaction& tx, std::string_view citizen_id) {
  const store::Value params[] = {Text(citizen_id)};
  // Newest first: seq numbers the patient's postings in the order made.
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT p.id, p.kind, p.org_id, o.name, p.appointment_id, p.prescription_id, "
               "p.amount_fen, p.posted_at FROM medical_postings p "
               "JOIN organisations o ON o.id = p.org_id WHERE p.citizen_id = ? "
               "ORDER BY p.seq DESC",
               params));
  Bill bill;
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(PostingKind kind, PostingKindFromName(row.Text(1)));
    Posting posting{.id = row.Text(0),
                    .kind = kind,
                    .org_id = row.Text(2),
                    .org_name = row.Text(3),
                    .appointment_id = row.OptionalText(4).value_or(""),
                    .prescription_id = row.OptionalText(5).value_or(""),
                    .amount_fen = row.Int(6),
                    .posted_at = FromUnixSeconds(row.Int(7))};
    if (posting.amount_fen > 0) {
      bill.charged_fen += posting.amount_fen;
    } else {
      bill.refunded_fen -= posting.amount_fen;
    }
    bill.postings.push_back(std::move(posting));
  }
  bill.owed_fen = bill.charged_fen - bill.refunded_fen;
  return bill;
}

Result<DayRevenue> ReadDayRevenue(store::Transaction& tx, std::string_view org_id,
                                  std::string_view day) {
  const store::Value params[] = {Text(org_id), Text(day)};
  CITYCODE_ASSIGN_OR_RETURN(
      store::Row row,
      tx.QueryOne("SELECT CAST(COALESCE(SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END), "
                  "0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN amount_fen < 0 THEN -amount_fen "
                  "ELSE 0 END), 0) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM medical_postings "
                  "WHERE org_id = ? AND day = ?",
                  params));
  return DayRevenue{.org_id = std::string(org_id),
                    .day = std::string(day),
                    .charged_fen = row.Int(0),
                    .refunded_fen = row.Int(1),
                    .net_fen = row.Int(0) - row.Int(1),
                    .postings = row.Int(2)};
}

}  // namespace citycode::medical::internal
