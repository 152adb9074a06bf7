// The scene's rows as its use cases read them: the SELECTs of clinicians,
// slots, appointments, encounters and prescriptions with what they join,
// and the structs they become; and the check that a caller is a terminal
// of a hospital. Shared by the patients' use cases (medical.cc), the
// hospital's reads (medical_hospital.cc) and its FHIR routes.
#ifndef CITYCODE_SCENES_MEDICAL_INTERNAL_ROWS_H_
#define CITYCODE_SCENES_MEDICAL_INTERNAL_ROWS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scenes/medical/medical.h"
#include "store/database.h"

namespace citycode::medical::internal {

constexpr std::string_view kClinicianSelect =
    "SELECT id, org_id, department_id, name, title, created_at FROM medical_clinicians";

constexpr std::string_view kSlotSelect =
    "SELECT s.id, s.schedule_id, s.org_id, d.id, d.name, c.id, c.name, c.title, s.day, "
    "s.starts_at, s.ends_at, s.capacity, s.booked, s.fee_fen, o.name, h.stopped_at "
    "FROM medical_slots s "
    "JOIN organisations o ON o.id = s.org_id "
    "JOIN medical_schedules h ON h.id = s.schedule_id "
    "JOIN medical_clinicians c ON c.id = h.clinician_id "
    "JOIN medical_departments d ON d.id = h.department_id";

// The appointment's columns, then the slot's (kSlotSelect's order).
constexpr std::string_view kAppointmentSelect =
    "SELECT a.id, a.citizen_id, a.state, a.channel, a.terminal_id, a.booked_at, a.cancelled_at, "
    "s.id, s.schedule_id, s.org_id, d.id, d.name, c.id, c.name, c.title, s.day, s.starts_at, "
    "s.ends_at, s.capacity, s.booked, s.fee_fen, o.name, h.stopped_at, a.cancel_cause, "
    "a.no_show_at, a.walk_in, a.booking_identifier FROM medical_appointments a "
    "JOIN medical_slots s ON s.id = a.slot_id "
    "JOIN organisations o ON o.id = s.org_id "
    "JOIN medical_schedules h ON h.id = s.schedule_id "
    "JOIN medical_clinicians c ON c.id = h.clinician_id "
    "JOIN medical_departments d ON d.id = h.department_id";

constexpr std::string_view kEncounterSelect =
    "SELECT id, appointment_id, org_id, clinician_id, citizen_id, terminal_id, opened_at, "
    "closed_at, record_identifier FROM medical_encounters";

constexpr std::string_view kPrescriptionSelect =
    "SELECT id, encounter_id, org_id, citizen_id, total_fen, issued_at, valid_until, "
    "dispensed_at, dispensed_by, queue_number FROM medical_prescriptions";

// permission_denied "not_a_hospital_terminal" unless `who` is a terminal
// of the medical scene with its organisation.
Status RequireMedicalTerminal(const platform::Principal& who);

// The stored state ('booked', 'cancelled') with its cause and no-show mark.
Result<AppointmentState> AppointmentStateFromRow(std::string_view name,
                                                 const std::optional<std::string>& cause,
                                                 const std::optional<std::int64_t>& no_show_at);
// The stored channel ('online', 'kiosk') with the walk-in mark (4005).
Result<BookingChannel> BookingChannelFromRow(std::string_view name, std::int64_t walk_in);

Clinician ClinicianFromRow(const store::Row& row);
// kSlotSelect's columns from `first` on.
Slot SlotFromRow(const store::Row& row, std::size_t first = 0);
Result<std::optional<Slot>> FindSlot(store::Transaction& tx, std::string_view slot_id);
// kSlotSelect + " " + where.
Result<std::vector<Slot>> QuerySlots(store::Transaction& tx, std::string_view where,
                                     std::span<const store::Value> params);
Result<Appointment> AppointmentFromRow(const store::Row& row);
Result<std::vector<Appointment>> QueryAppointments(store::Transaction& tx, std::string_view where,
                                                   std::span<const store::Value> params);
Encounter EncounterFromRow(const store::Row& row);
// With their items, in order.
Result<std::vector<Prescription>> QueryPrescriptions(store::Transaction& tx, std::string_view where,
                                                     std::span<const store::Value> params);
// not_found when unknown.
Result<Prescription> LoadPrescription(store::Transaction& tx, std::string_view id);

}  // namespace citycode::medical::internal

#endif  // CITYCODE_SCENES_MEDICAL_INTERNAL_ROWS_H_
