#include "scenes/medical/internal/rows.h"

#include <utility>

namespace citycode::medical::internal {

using store::Text;

Status RequireMedicalTerminal(const platform::Principal& who) {
  if (who.role != platform::Role::kTerminal || who.scene != code::Scene::kMedical ||
      who.org_id.empty()) {
    return PermissionDenied("only a terminal of a hospital may do this", "not_a_hospital_terminal");
  }
  return OkStatus();
}

// The stored state ('booked', 'cancelled') with its cause and no-show mark.
Result<AppointmentState> AppointmentStateFromRow(std::string_view name,
                                                 const std::optional<std::string>& cause,
                                                 const std::optional<std::int64_t>& no_show_at) {
  if (name == "booked") return no_show_at ? AppointmentState::kNoShow : AppointmentState::kBooked;
  if (name == "cancelled") {
    return cause == "schedule_stopped" ? AppointmentState::kStopped : AppointmentState::kCancelled;
  }
  return Internal("unknown appointment state in the store");
}

// The stored channel ('online', 'kiosk') with the walk-in mark (4005).
Result<BookingChannel> BookingChannelFromRow(std::string_view name, std::int64_t walk_in) {
  if (name == "kiosk" && walk_in != 0) return BookingChannel::kWalkIn;
  for (BookingChannel channel : {BookingChannel::kOnline, BookingChannel::kKiosk}) {
    if (name == BookingChannelName(channel)) return channel;
  }
  return Internal("unknown booking channel in the store");
}

Clinician ClinicianFromRow(const store::Row& row) {
  return {.id = row.Text(0),
          .org_id = row.Text(1),
          .department_id = row.Text(2),
          .name = row.Text(3),
          .title = row.Text(4),
          .created_at = FromUnixSeconds(row.Int(5))};
}

Slot SlotFromRow(const store::Row& row, std::size_t first) {
  return {.id = row.Text(first + 0),
          .schedule_id = row.Text(first + 1),
          .org_id = row.Text(first + 2),
          .department_id = row.Text(first + 3),
          .department_name = row.Text(first + 4),
          .clinician_id = row.Text(first + 5),
          .clinician_name = row.Text(first + 6),
          .clinician_title = row.Text(first + 7),
          .day = row.Text(first + 8),
          .starts_at = FromUnixSeconds(row.Int(first + 9)),
          .ends_at = FromUnixSeconds(row.Int(first + 10)),
          .capacity = row.Int(first + 11),
          .booked = row.Int(first + 12),
          .fee_fen = row.Int(first + 13),
          .org_name = row.Text(first + 14),
          .stopped = row.OptionalInt(first + 15).has_value()};
}

Result<std::optional<Slot>> FindSlot(store::Transaction& tx, std::string_view slot_id) {
  const store::Value params[] = {Text(slot_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row,
                            tx.QueryOptional(std::string(kSlotSelect) + " WHERE s.id = ?", params));
  if (!row) return std::optional<Slot>();
  return std::optional<Slot>(SlotFromRow(*row));
}

Result<std::vector<Slot>> QuerySlots(store::Transaction& tx, std::string_view where,
                                     std::span<const store::Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(auto rows,
                            tx.Query(std::string(kSlotSelect) + " " + std::string(where), params));
  std::vector<Slot> out;
  for (const store::Row& row : rows) out.push_back(SlotFromRow(row));
  return out;
}

Result<Appointment> AppointmentFromRow(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(
      AppointmentState state,
      AppointmentStateFromRow(row.Text(2), row.OptionalText(23), row.OptionalInt(24)));
  CITYCODE_ASSIGN_OR_RETURN(BookingChannel channel,
                            BookingChannelFromRow(row.Text(3), row.Int(25)));
  Appointment out{.id = row.Text(0),
                  .slot = SlotFromRow(row, 7),
                  .citizen_id = row.Text(1),
                  .state = state,
                  .channel = channel,
                  .terminal_id = row.OptionalText(4).value_or(""),
                  .booked_at = FromUnixSeconds(row.Int(5)),
                  .booking_identifier = row.OptionalText(26).value_or("")};
  if (auto cancelled = row.OptionalInt(6)) out.cancelled_at = FromUnixSeconds(*cancelled);
  return out;
}

Result<std::vector<Appointment>> QueryAppointments(store::Transaction& tx, std::string_view where,
                                                   std::span<const store::Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx.Query(std::string(kAppointmentSelect) + " " + std::string(where), params));
  std::vector<Appointment> out;
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(Appointment appointment, AppointmentFromRow(row));
    out.push_back(std::move(appointment));
  }
  return out;
}

Encounter EncounterFromRow(const store::Row& row) {
  Encounter out{.id = row.Text(0),
                .appointment_id = row.Text(1),
                .org_id = row.Text(2),
                .clinician_id = row.Text(3),
                .citizen_id = row.Text(4),
                .terminal_id = row.Text(5),
                .opened_at = FromUnixSeconds(row.Int(6)),
                .record_identifier = row.OptionalText(8).value_or("")};
  if (auto closed = row.OptionalInt(7)) out.closed_at = FromUnixSeconds(*closed);
  return out;
}

Result<std::vector<Prescription>> QueryPrescriptions(store::Transaction& tx, std::string_view where,
                                                     std::span<const store::Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx.Query(std::string(kPrescriptionSelect) + " " + std::string(where), params));
  std::vector<Prescription> out;
  for (const store::Row& row : rows) {
    Prescription p{.id = row.Text(0),
                   .encounter_id = row.Text(1),
                   .org_id = row.Text(2),
                   .citizen_id = row.Text(3),
                   .total_fen = row.Int(4),
                   .issued_at = FromUnixSeconds(row.Int(5)),
                   .valid_until = FromUnixSeconds(row.Int(6)),
                   .dispensed_by = row.OptionalText(8).value_or(""),
                   .queue_number = row.OptionalInt(9).value_or(0)};
    if (auto dispensed = row.OptionalInt(7)) p.dispensed_at = FromUnixSeconds(*dispensed);
    const store::Value id[] = {Text(p.id)};
    CITYCODE_ASSIGN_OR_RETURN(auto items,
                              tx.Query("SELECT drug, quantity, unit_price_fen FROM "
                                       "medical_prescription_items WHERE prescription_id = ? "
                                       "ORDER BY position",
                                       id));
    for (const store::Row& item : items) {
      p.items.push_back(
          {.drug = item.Text(0), .quantity = item.Int(1), .unit_price_fen = item.Int(2)});
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<Prescription> LoadPrescription(store::Transaction& tx, std::string_view id) {
  const store::Value params[] = {Text(id)};
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Prescription> found,
                            QueryPrescriptions(tx, "WHERE id = ?", params));
  if (found.empty()) return NotFound("no such prescription");
  return std::move(found.front());
}

}  // namespace citycode::medical::internal
