// What a hospital's own system reads of the scene (its FHIR interface,
// medical_fhir.cc): its clinicians, schedules, slots, appointments,
// encounters and prescriptions by id, each only the hospital's own, and its
// patients by a pseudonym of their own at that hospital.
#include <utility>

#include "crypto/random.h"
#include "scenes/medical/internal/rows.h"
#include "scenes/medical/medical.h"

namespace citycode::medical {
namespace {

using namespace internal;  // the scene's own rows (internal/rows.h)
using store::Text;

constexpr std::string_view kScheduleSelect =
    "SELECT id, org_id, clinician_id, department_id, day, starts_at, ends_at, stopped_at "
    "FROM medical_schedules";

Result<std::vector<Schedule>> QuerySchedules(store::Transaction& tx, std::string_view where,
                                             std::span<const store::Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx.Query(std::string(kScheduleSelect) + " " + std::string(where), params));
  std::vector<Schedule> out;
  for (const store::Row& row : rows) {
    Schedule schedule{.id = row.Text(0),
                      .org_id = row.Text(1),
                      .clinician_id = row.Text(2),
                      .department_id = row.Text(3),
                      .day = row.Text(4),
                      .starts_at = FromUnixSeconds(row.Int(5)),
                      .ends_at = FromUnixSeconds(row.Int(6))};
    if (auto stopped = row.OptionalInt(7)) schedule.stopped_at = FromUnixSeconds(*stopped);
    const store::Value id[] = {Text(schedule.id)};
    CITYCODE_ASSIGN_OR_RETURN(schedule.slots,
                              QuerySlots(tx, "WHERE s.schedule_id = ? ORDER BY s.starts_at", id));
    out.push_back(std::move(schedule));
  }
  return out;
}

// The one element of `found`, or not_found naming `what`.
template <typename T>
Result<T> TheOne(Result<std::vector<T>> found, std::string_view what) {
  if (!found.ok()) return found.status();
  if (found->empty()) return NotFound("no such " + std::string(what));
  return std::move(found->front());
}

}  // namespace

Result<Clinician> MedicalScene::HospitalClinician(std::string_view org_id,
                                                  std::string_view clinician_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(clinician_id), Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row,
      tx->QueryOptional(std::string(kClinicianSelect) + " WHERE id = ? AND org_id = ?", params));
  if (!row) return NotFound("no such clinician");
  return ClinicianFromRow(*row);
}

Result<Schedule> MedicalScene::HospitalSchedule(std::string_view org_id,
                                                std::string_view schedule_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(schedule_id), Text(org_id)};
  return TheOne(QuerySchedules(*tx, "WHERE id = ? AND org_id = ?", params), "schedule");
}

Result<std::vector<Schedule>> MedicalScene::HospitalSchedules(std::string_view org_id,
                                                              std::string_view day) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id), Text(day)};
  return QuerySchedules(*tx, "WHERE org_id = ? AND day = ? ORDER BY starts_at, id", params);
}

Result<Slot> MedicalScene::HospitalSlot(std::string_view org_id, std::string_view slot_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(slot_id), Text(org_id)};
  return TheOne(QuerySlots(*tx, "WHERE s.id = ? AND s.org_id = ?", params), "slot");
}

Result<Appointment> MedicalScene::HospitalAppointment(std::string_view org_id,
                                                      std::string_view appointment_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(appointment_id), Text(org_id)};
  return TheOne(QueryAppointments(*tx, "WHERE a.id = ? AND a.org_id = ?", params), "appointment");
}

Result<std::optional<Appointment>> MedicalScene::AppointmentByIdentifier(
    std::string_view org_id, std::string_view booking_identifier) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id), Text(booking_identifier)};
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<Appointment> found,
      QueryAppointments(*tx, "WHERE a.org_id = ? AND a.booking_identifier = ?", params));
  if (found.empty()) return std::optional<Appointment>();
  return std::optional<Appointment>(std::move(found.front()));
}

Result<std::optional<Encounter>> MedicalScene::EncounterOfAppointment(
    std::string_view org_id, std::string_view appointment_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(appointment_id), Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row,
      tx->QueryOptional(std::string(kEncounterSelect) + " WHERE appointment_id = ? AND org_id = ?",
                        params));
  if (!row) return std::optional<Encounter>();
  return std::optional<Encounter>(EncounterFromRow(*row));
}

Result<Encounter> MedicalScene::HospitalEncounter(std::string_view org_id,
                                                  std::string_view encounter_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(encounter_id), Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row,
      tx->QueryOptional(std::string(kEncounterSelect) + " WHERE id = ? AND org_id = ?", params));
  if (!row) return NotFound("no such encounter");
  return EncounterFromRow(*row);
}

Result<Prescription> MedicalScene::HospitalPrescription(std::string_view org_id,
                                                        std::string_view prescription_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(prescription_id), Text(org_id)};
  return TheOne(QueryPrescriptions(*tx, "WHERE id = ? AND org_id = ?", params), "prescription");
}

Result<std::vector<Prescription>> MedicalScene::EncounterPrescriptions(
    std::string_view org_id, std::string_view encounter_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(encounter_id), Text(org_id)};
  return QueryPrescriptions(*tx, "WHERE encounter_id = ? AND org_id = ? ORDER BY issued_at, id",
                            params);
}

Result<std::string> MedicalScene::PatientAlias(std::string_view org_id,
                                               std::string_view citizen_id) {
  const store::Value mine[] = {Text(org_id), Text(citizen_id)};
  constexpr std::string_view kFind =
      "SELECT alias FROM medical_patient_aliases WHERE org_id = ? AND citizen_id = ?";
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(auto known, tx->QueryOptional(kFind, mine));
    if (known) return known->Text(0);
  }
  // The first time the hospital sees the patient: a concurrent first time
  // inserts nothing, and both read the one alias.
  std::string alias;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      database(), store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value row[] = {Text(crypto::RandomId("pat")), Text(org_id), Text(citizen_id),
                                    store::Time(Now())};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO medical_patient_aliases (alias, org_id, citizen_id, "
                       "created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       row)
                .status());
        CITYCODE_ASSIGN_OR_RETURN(store::Row found, tx.QueryOne(kFind, mine));
        alias = found.Text(0);
        return OkStatus();
      }));
  return alias;
}

Result<std::string> MedicalScene::PatientOfAlias(std::string_view org_id, std::string_view alias) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, database().Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(alias), Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row,
      tx->QueryOptional(
          "SELECT citizen_id FROM medical_patient_aliases WHERE alias = ? AND org_id = ?", params));
  if (!row) return NotFound("no such patient");
  return row->Text(0);
}

}  // namespace citycode::medical
