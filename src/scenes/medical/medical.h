// The medical scene (scene medical): registration (挂号), visits (就诊) and
// medicine pick-up (取药) at hospitals and township health centres, run by
// organisations of kind hospital whose terminals each have a role, registered
// by the hospital's admin (as the hall's windows): a registration kiosk or
// window, a clinician's desk, or the pharmacy.
//
// - Departments (科室) and clinicians (医生: name, title, department).
// - Terminal roles: kiosk (books by the code), desk (a clinician's: checks
//   in, closes visits, may book too), pharmacy (dispenses). A terminal
//   without a role may only list slots.
// - Schedules (出诊): a clinician's session on one of the city's local days
//   (start, end), published as slots of equal length, each with a capacity
//   and a fee in fen. Instants are stored as UTC; days and times of day are
//   the city's (SceneContext::time).
// - Appointments: a citizen books a slot ahead from their own session, or a
//   hospital kiosk books one for the citizen whose code it scans. A slot's
//   capacity holds under concurrent bookings: one conditional update
//   (booked < capacity) in the same transaction as the appointment's insert.
//   A citizen holds at most one booked appointment per schedule (a unique
//   index). Cancelling, up to the slot's start, frees the place.
// - Encounters: the code shown at a desk of the hospital checks in the
//   citizen's earliest appointment of the local day there; a walk-in (no
//   appointment today) is booked into the desk clinician's session running
//   now, or its first later slot with a place, and checked in, in one
//   transaction. The same desk closes the encounter with a summary, which
//   becomes a health record in the vault (issued by the hospital), and
//   prescriptions valid 1-3 local days.
// - Health records (visit summaries, lab results) are read by their
//   patient at any time, by a guardian for a dependant, and by another
//   hospital during a visit there only under the patient's health-data
//   consent (the vault's rules).
// - Prescriptions are dispensed by the patient's code at a pharmacy of the
//   same hospital exactly once (a conditional update on dispensed_at IS
//   NULL), with a queue number per hospital and local day.
// - Schedule stops (停诊): the hospital stops a session; its bookings become
//   stopped, each fee is refunded and each patient gets a notice with it.
// - No-shows: upkeep marks bookings of ended sessions never checked in;
//   too many within a window block online booking for a period.
// - Fees (费用): the patient's bill is a double-entry ledger kept by
//   transit's rules (scenes/transit/rides.h): each posting is one row with
//   both of its entries, the patient's receivable against the hospital's
//   revenue, in integer fen; a posting is never updated or deleted, and a
//   refund is a posting of its own that reverses a charge. A booking posts
//   its registration fee (none for a fee of 0), a cancellation or a stop
//   its refund, a pick-up the prescription's total, each in the
//   transaction of the change it belongs to; a unique key on (kind,
//   appointment or prescription) books none of them twice. A no-show's or
//   a visit's fee stays charged. No payments yet: owed is charged less
//   refunded.
//
// Errors (the reason() in quotes):
//  - not_found: an unknown organisation, department, clinician, slot or
//    appointment (another citizen's appointment is unknown too).
//  - failed_precondition: "not_a_hospital" for an organisation of another
//    kind; "slot_not_open" (past, closed, or more than booking_days_ahead
//    days ahead); "slot_full"; "already_cancelled"; "slot_started" (too late
//    to cancel); "identity_not_verified" (the platform's: booking is
//    real-name, 实名挂号).
//  - already_exists: "already_booked" (one booking per schedule),
//    "schedule_overlaps" (the clinician has a session then),
//    "department_exists".
//  - permission_denied: "not_a_hospital_terminal", "code_invalid" (the
//    message names the verifier's reason), "slot_of_another_hospital", and a
//    department or clinician of another organisation.
//  - roles: permission_denied "not_a_kiosk", "not_a_desk", "not_a_pharmacy"
//    (the terminal's role does not allow it; refused before the code is
//    used), "terminal_of_another_hospital" (registering a terminal that is
//    not the hospital's).
//  - visits and pick-up: failed_precondition "no_appointment_today",
//    "encounter_closed", "prescription_expired", "already_dispensed" (the
//    message says when and at which terminal); already_exists
//    "already_checked_in" (also for cancelling a checked-in appointment);
//    permission_denied "encounter_of_another_desk",
//    "prescription_of_another_hospital", "not_the_patient"; not_found an
//    unknown encounter or prescription.
//  - walk-ins: failed_precondition "no_session_now" (the desk's clinician
//    has no session today running or still to come), "slot_full" (every
//    remaining place is taken), "desk_without_clinician".
//  - stops and no-shows: failed_precondition "schedule_stopped" (stopping
//    again, or booking a stopped session's slot), "schedule_ended",
//    "booking_blocked" (online booking during a no-show block);
//    permission_denied "schedule_of_another_hospital".
//  - invalid_argument: bad input (names, days "YYYY-MM-DD", times "HH:MM",
//    slot length, capacity, fee, a terminal role).
//
// Thread-safe: MedicalScene keeps no state of its own outside the database.
#ifndef CITYCODE_SCENES_MEDICAL_MEDICAL_H_
#define CITYCODE_SCENES_MEDICAL_MEDICAL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/scene.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/status.h"
#include "platform/platform.h"
#include "store/database.h"
#include "vault/vault.h"

namespace citycode::medical {

// The [medical] section of citycode.toml.
struct MedicalOptions {
  // A slot can be booked from this many local days before its day (0: on
  // its day only), 0-365.
  int booking_days_ahead = 7;
  // Booking closes this many minutes before the slot starts; 0: a slot can
  // be booked until it starts. 0-1440.
  int booking_closes_minutes_before = 0;
  // No-shows: this many within no_show_window_days (counted by the slot's
  // start) block online booking for no_show_block_days from the upkeep that
  // finds the last of them. 0 limit: never blocked. Limit 0-100, window
  // 1-3650 days, block 0-3650 days.
  int no_show_limit = 3;
  int no_show_window_days = 90;
  int no_show_block_days = 30;
};

struct Department {
  std::string id;
  std::string org_id;
  std::string name;  // "内科": unique per hospital
  Instant created_at{};
};

struct Clinician {
  std::string id;
  std::string org_id;
  std::string department_id;
  std::string name;   // shown to patients, as on the hospital's board
  std::string title;  // "主任医师"
  Instant created_at{};
};

// A published slot, with what a patient sees of its session.
struct Slot {
  std::string id;
  std::string schedule_id;
  std::string org_id;
  std::string department_id;
  std::string department_name;
  std::string clinician_id;
  std::string clinician_name;
  std::string clinician_title;
  std::string day;  // the city's local day, YYYY-MM-DD
  Instant starts_at{};
  Instant ends_at{};
  std::int64_t capacity = 0;
  std::int64_t booked = 0;
  std::int64_t fee_fen = 0;
  std::string org_name;  // the hospital's
  bool stopped = false;  // its session was stopped (停诊): never bookable again
};

// A clinician's session: `day` and the local times "HH:MM", cut into slots
// of `slot_minutes` (which must divide the session), each of `capacity`
// places at `fee_fen`.
struct ScheduleRequest {
  std::string clinician_id;
  std::string day;
  std::string start;
  std::string end;
  std::int64_t slot_minutes = 30;
  std::int64_t capacity = 1;
  std::int64_t fee_fen = 0;
};

struct Schedule {
  std::string id;
  std::string org_id;
  std::string clinician_id;
  std::string department_id;
  std::string day;
  Instant starts_at{};
  Instant ends_at{};
  std::vector<Slot> slots;            // in time order
  std::optional<Instant> stopped_at;  // stopped (停诊)
};

// kStopped: cancelled by the hospital's schedule stop (停诊), stored as
// cancelled with the cause schedule_stopped; kNoShow: booked, never checked
// in, its session over (marked by Upkeep).
enum class AppointmentState { kBooked, kCancelled, kStopped, kNoShow };
// "booked", "cancelled", "stopped", "no_show"
std::string_view AppointmentStateName(AppointmentState state);

// Where a booking was made: the citizen's own session, a hospital terminal
// that scanned the citizen's code, or a desk that registered a walk-in.
enum class BookingChannel { kOnline, kKiosk, kWalkIn };
// "online", "kiosk", "walk_in"
std::string_view BookingChannelName(BookingChannel channel);

// What a terminal of the hospital does: registers (books by the code),
// sees patients (a clinician's desk: checks in, closes visits, books), or
// dispenses.
enum class TerminalRole { kKiosk, kDesk, kPharmacy };
std::string_view TerminalRoleName(TerminalRole role);  // "kiosk", "desk", "pharmacy"
// invalid_argument for any other name.
Result<TerminalRole> TerminalRoleFromName(std::string_view name);

// A terminal's role at its hospital.
struct MedicalTerminal {
  std::string terminal_id;
  std::string org_id;
  TerminalRole role = TerminalRole::kKiosk;
  std::string clinician_id;  // a desk's clinician
  Instant updated_at{};
};

struct Appointment {
  std::string id;
  Slot slot;
  // The platform's opaque id of the patient; for the library's callers (the
  // routes never show it to terminals).
  std::string citizen_id;
  AppointmentState state = AppointmentState::kBooked;
  BookingChannel channel = BookingChannel::kOnline;
  std::string terminal_id;  // the kiosk's, for kKiosk; the desk's, for kWalkIn
  Instant booked_at{};
  std::optional<Instant> cancelled_at;
  std::string booking_identifier;  // the hospital system's, if it gave one
};

// What a schedule stop did.
struct ScheduleStop {
  std::string schedule_id;
  Instant stopped_at{};
  std::string reason;
  std::int64_t appointments_stopped = 0;
  std::int64_t refund_fen = 0;  // the sum of their fees, refunded on the patients' bills
};

// A notice to a patient: for now, that their appointment's session was
// stopped, with the fee refunded on their bill (0 if none was charged).
struct Notice {
  std::string id;
  std::string kind;  // "schedule_stopped"
  std::string appointment_id;
  std::string schedule_id;
  std::string org_id;
  std::string org_name;
  std::string clinician_name;
  std::string department_name;
  Instant slot_starts_at{};
  std::string reason;
  std::int64_t refund_fen = 0;
  Instant created_at{};
};

// The no-show policy and where the citizen stands.
struct BookingStatus {
  std::int64_t no_shows_in_window = 0;  // since the last block, if any
  int limit = 0;
  int window_days = 0;
  int block_days = 0;
  std::optional<Instant> blocked_until;  // while online booking is blocked
};

// The patient's bill (费用): postings in the scene's double-entry ledger, by
// transit's rules. A registration fee is charged when an appointment is
// booked (online or at a kiosk), refunded when it is cancelled or its
// session stopped; a prescription's total is charged when it is dispensed.
enum class PostingKind { kRegistrationFee, kRegistrationRefund, kPrescription };
// "registration_fee", "registration_refund", "prescription"
std::string_view PostingKindName(PostingKind kind);

struct Posting {
  std::string id;
  PostingKind kind = PostingKind::kRegistrationFee;
  std::string org_id;  // the hospital whose revenue it is
  std::string org_name;
  std::string appointment_id;   // of a registration fee or refund
  std::string prescription_id;  // of a prescription
  // What the patient owes by it, in fen: positive for a charge, negative
  // for a refund (never 0).
  std::int64_t amount_fen = 0;
  Instant posted_at{};
};

struct Bill {
  std::vector<Posting> postings;  // newest first
  std::int64_t charged_fen = 0;   // the charges' sum
  std::int64_t refunded_fen = 0;  // the refunds' sum, as a positive number
  std::int64_t owed_fen = 0;      // charged less refunded (no payments yet)
};

// A hospital's postings of one local day (by when they were posted).
struct DayRevenue {
  std::string org_id;
  std::string day;  // YYYY-MM-DD
  std::int64_t charged_fen = 0;
  std::int64_t refunded_fen = 0;  // positive
  std::int64_t net_fen = 0;       // charged less refunded
  std::int64_t postings = 0;
};

// A visit (就诊): opened when the patient's code is shown at a terminal of
// the hospital on the day of their appointment, closed by the clinician at
// the same terminal with a summary and any prescriptions.
struct Encounter {
  std::string id;
  std::string appointment_id;
  std::string org_id;
  std::string clinician_id;
  std::string citizen_id;   // for the library's callers; never shown to a terminal
  std::string terminal_id;  // the desk that opened it (and alone may close it)
  Instant opened_at{};
  std::optional<Instant> closed_at;
  // Once closed: the visit summary, a health record in the vault.
  std::string record_identifier;
};

struct PrescriptionItem {
  std::string drug;                 // 1-64 bytes
  std::int64_t quantity = 1;        // 1-1000
  std::int64_t unit_price_fen = 0;  // 0-10 000 000
};

struct PrescriptionRequest {
  std::vector<PrescriptionItem> items;  // 1-20
};

struct Prescription {
  std::string id;
  std::string encounter_id;
  std::string org_id;
  std::string citizen_id;  // for the library's callers
  std::vector<PrescriptionItem> items;
  std::int64_t total_fen = 0;
  Instant issued_at{};
  Instant valid_until{};  // the local midnight that ends its validity
  std::optional<Instant> dispensed_at;
  std::string dispensed_by;       // the pharmacy terminal's id
  std::int64_t queue_number = 0;  // the pharmacy's number of its local day, once dispensed
};

class MedicalScene final : public api::Scene {
 public:
  // Applies the scene's migrations (versions 4001+). All must outlive the
  // MedicalScene.
  static Result<std::unique_ptr<MedicalScene>> Open(store::Database& db, const Clock& clock,
                                                    platform::Platform& platform,
                                                    vault::Vault& vault, CityTime time = {},
                                                    MedicalOptions options = {});
  ~MedicalScene() override;
  MedicalScene(const MedicalScene&) = delete;
  MedicalScene& operator=(const MedicalScene&) = delete;

  // The scene's routes (medical_routes.cc).
  std::vector<api::RouteSpec> Routes() override;
  // Departments, clinicians and a week of schedules at the demo city's
  // hospitals (medical_demo.cc).
  Status SeedDemo(api::DemoSeed& seed) override;
  // The citizen's appointments, visits, prescriptions, notices and bill
  // postings (medical_routes.cc renders them).
  Result<nlohmann::json> ExportCitizen(std::string_view citizen_id) override;
  // For the operator's dashboard: Appointments booked and cancelled, visits opened, prescriptions
  // dispensed since `since`.
  Result<nlohmann::json> Dashboard(Instant since) override;
  // Cancels the citizen's appointments not yet due (their places are freed,
  // their fees refunded) and keeps the records: the hospitals' registration
  // records and the bill's postings.
  Result<std::vector<std::string>> EraseCitizen(std::string_view citizen_id) override;

  // --- facilities (the caller checks who may administer `org_id`) ---
  Result<Department> CreateDepartment(std::string_view org_id, std::string_view name);
  Result<std::vector<Department>> ListDepartments(std::string_view org_id);
  Result<Clinician> CreateClinician(std::string_view org_id, std::string_view department_id,
                                    std::string_view name, std::string_view title);
  Result<std::vector<Clinician>> ListClinicians(std::string_view org_id);
  Result<Schedule> CreateSchedule(std::string_view org_id, const ScheduleRequest& request);
  // Gives one of the hospital's terminals its role, replacing any it had; a
  // desk names its clinician (of the hospital), the others none
  // (invalid_argument). permission_denied "terminal_of_another_hospital" for
  // a terminal that is not the hospital's; failed_precondition for a
  // disabled one.
  Result<MedicalTerminal> RegisterTerminal(std::string_view org_id, std::string_view terminal_id,
                                           TerminalRole role, std::string_view clinician_id);
  Result<std::vector<MedicalTerminal>> ListTerminals(std::string_view org_id);
  // Stops (停诊) the hospital's schedule before it ends, in one transaction:
  // its slots are closed to booking, its booked appointments not checked in
  // become stopped (their places freed, their fees refunded), and each
  // patient gets a notice with the refund. Refusals: not_found; permission_denied
  // "schedule_of_another_hospital"; failed_precondition "schedule_stopped"
  // (stopped before), "schedule_ended"; invalid_argument (reason 1-200
  // bytes).
  Result<ScheduleStop> StopSchedule(std::string_view org_id, std::string_view schedule_id,
                                    std::string_view reason);
  // The citizen's notices, newest first.
  Result<std::vector<Notice>> CitizenNotices(std::string_view citizen_id);
  // The no-show policy and the citizen's count and block.
  Result<BookingStatus> CitizenBookingStatus(std::string_view citizen_id);
  // Marks booked appointments of sessions that have ended and were never
  // checked in as no-shows and blocks online booking of those who reach
  // the limit. Answers how many were marked. Upkeep() calls it.
  Result<std::int64_t> MarkNoShows();
  Status Upkeep() override;

  // The hospital's slots on the local `day` ("YYYY-MM-DD") that are open
  // for booking now, full ones included (booked == capacity), in time
  // order. For a citizen, or a medical terminal of that hospital.
  // The hospitals and health centres a citizen may book at.
  Result<std::vector<platform::Organisation>> ListHospitals();
  Result<std::vector<Slot>> ListOpenSlots(const platform::Principal& caller,
                                          std::string_view org_id, std::string_view day);

  // --- registration (挂号) ---
  // Books `slot_id` for the citizen of the session and posts its fee; refused
  // failed_precondition "booking_blocked" while their no-shows block online
  // booking (a kiosk still books), "schedule_stopped" for a stopped session.
  Result<Appointment> BookOnline(std::string_view citizen_id, std::string_view slot_id);
  // A kiosk (or desk) of the slot's hospital verifies the citizen's code
  // (one use) and books the slot for them, posting its fee. The role and
  // the slot are checked before the code is used up (permission_denied
  // "not_a_kiosk").
  // `booking_identifier`: the hospital system's own id of the booking
  // ("system|value", 1-256 bytes), unique at the hospital: a second booking
  // under it is refused already_exists "booking_identifier_taken" (the
  // FHIR interface's idempotent create finds the first by it).
  Result<Appointment> BookAtTerminal(const platform::Principal& terminal, std::string_view qr_text,
                                     std::string_view slot_id,
                                     std::string_view booking_identifier = {});
  // BookAtTerminal without a thread waiting for the commit (the route
  // answers from `done`): bookings that arrive together share a commit
  // (store/group_commit.h), and `done` gets its outcome once it is durable,
  // on the committing thread, or at once on the caller's for a code refused
  // before. `done` must be short.
  void BookAtTerminalThen(const platform::Principal& terminal, std::string_view qr_text,
                          std::string_view slot_id, std::string_view booking_identifier,
                          std::function<void(Result<Appointment>)> done);
  // The citizen's appointments, newest slot first.
  Result<std::vector<Appointment>> CitizenAppointments(std::string_view citizen_id);
  // Cancels the citizen's own booked appointment before its slot starts
  // and before it is checked in, and refunds its fee.
  Result<Appointment> CancelAppointment(std::string_view citizen_id,
                                        std::string_view appointment_id);

  // A kiosk or desk of the hospital cancels (退号) one of its booked
  // appointments at the patient's request, by the rules of
  // CancelAppointment (before the slot starts, not checked in; the fee
  // refunded). not_found for another hospital's.
  Result<Appointment> CancelAtHospital(const platform::Principal& terminal,
                                       std::string_view appointment_id);

  // --- visits (就诊) ---
  // A desk of the hospital verifies the patient's code (one use) and checks
  // in their earliest booked appointment of the local day at that hospital,
  // opening its encounter. With `walk_in`, a patient without an appointment
  // there today is booked (channel walk_in, real-name) into the desk
  // clinician's session running now, or the first of today's later slots
  // with a place, and checked in, in one transaction; a patient with an
  // appointment today is checked in as without it. Refused
  // permission_denied "not_a_desk" before the code is used.
  // With `appointment_id`, that appointment of the hospital (read before
  // the code is used: not_found otherwise) is the one checked in:
  // permission_denied "not_the_patient" when the code is another
  // patient's, failed_precondition "no_appointment_today" when it is not
  // booked for today.
  Result<Encounter> CheckIn(const platform::Principal& desk, std::string_view qr_text,
                            bool walk_in = false, std::string_view appointment_id = {});
  // The desk that opened the encounter closes it with the summary and any
  // prescriptions, valid to the end of the local day they are issued, or of
  // the (valid_days - 1)th day after (valid_days 1-3). Answers the
  // prescriptions made. A terminal that is no desk: "not_a_desk". The
  // summary becomes a health record (visit_summary) in the vault, issued by
  // the hospital in the same transaction: the hospital must be a registered
  // issuer (failed_precondition not_an_issuer).
  Result<std::vector<Prescription>> CloseEncounter(const platform::Principal& desk,
                                                   std::string_view encounter_id,
                                                   std::string_view summary,
                                                   std::span<const PrescriptionRequest> requests,
                                                   int valid_days);
  // --- families ---
  // The dependant's account if the guardian holds a live link to them
  // (vault::Vault::ActFor): a guardian books, sees appointments and records
  // for a dependant as the dependant.
  Result<std::string> ActFor(std::string_view guardian_id, std::string_view dependant_id);

  // The citizen's health records from every hospital, newest first.
  Result<std::vector<vault::SignedCertificate>> CitizenRecords(std::string_view citizen_id);
  // A desk of the hospital where the encounter is reads its patient's
  // health records (every health type, from every hospital) under the
  // patient's health-data grant to this hospital, for `use_cause`: the
  // vault's signed release, audited. Refusals are the vault's
  // (permission_denied consent_missing, consent_revoked, consent_expired,
  // type_not_registered); not_found for another hospital's encounter;
  // permission_denied "not_a_desk".
  Result<vault::Release> ReadRecords(const platform::Principal& desk, std::string_view encounter_id,
                                     std::string_view use_cause);
  // The citizen's encounters and prescriptions, newest first.
  Result<std::vector<Encounter>> CitizenEncounters(std::string_view citizen_id);
  Result<std::vector<Prescription>> CitizenPrescriptions(std::string_view citizen_id);

  // --- medicine pick-up (取药) ---
  // A pharmacy of the prescription's hospital verifies the patient's code
  // and dispenses the prescription, exactly once, answering it with its
  // queue number of the local day, and posts its total on the patient's
  // bill. The role and the prescription are checked before the code is
  // used up (permission_denied "not_a_pharmacy").
  Result<Prescription> Dispense(const platform::Principal& pharmacy, std::string_view qr_text,
                                std::string_view prescription_id);

  // --- what the hospital's own system reads (medical_hospital.cc) ---
  // By id, of the hospital `org_id`: not_found for an unknown id and for
  // another hospital's alike.
  Result<Clinician> HospitalClinician(std::string_view org_id, std::string_view clinician_id);
  Result<Schedule> HospitalSchedule(std::string_view org_id, std::string_view schedule_id);
  // Its schedules of the local `day`, stopped ones too, in time order.
  Result<std::vector<Schedule>> HospitalSchedules(std::string_view org_id, std::string_view day);
  Result<Slot> HospitalSlot(std::string_view org_id, std::string_view slot_id);
  Result<Appointment> HospitalAppointment(std::string_view org_id, std::string_view appointment_id);
  // The appointment booked under the hospital's `booking_identifier`.
  Result<std::optional<Appointment>> AppointmentByIdentifier(std::string_view org_id,
                                                             std::string_view booking_identifier);
  Result<std::optional<Encounter>> EncounterOfAppointment(std::string_view org_id,
                                                          std::string_view appointment_id);
  Result<Encounter> HospitalEncounter(std::string_view org_id, std::string_view encounter_id);
  Result<Prescription> HospitalPrescription(std::string_view org_id,
                                            std::string_view prescription_id);
  Result<std::vector<Prescription>> EncounterPrescriptions(std::string_view org_id,
                                                           std::string_view encounter_id);
  // The patient's pseudonym at the hospital ("pat_…"): made on first use,
  // the same ever after, a different one at each hospital; never their ID
  // number or their platform id.
  Result<std::string> PatientAlias(std::string_view org_id, std::string_view citizen_id);
  // The patient a pseudonym names at the hospital; not_found otherwise.
  Result<std::string> PatientOfAlias(std::string_view org_id, std::string_view alias);

  // The scene's clock now.
  Instant Now() const;

  // --- fees (the patient's bill) ---
  // The citizen's postings, newest first, with their totals.
  Result<Bill> CitizenBill(std::string_view citizen_id);
  // The hospital's charges and refunds posted on the local `day`
  // ("YYYY-MM-DD"); the caller checks who may administer `org_id`.
  // failed_precondition "not_a_hospital"; invalid_argument for a bad day.
  Result<DayRevenue> HospitalRevenue(std::string_view org_id, std::string_view day);

 private:
  struct Impl;
  // The city's local day of the scene's clock now (the demo's today).
  std::chrono::sys_days LocalToday() const;
  // The demo hospital's issuer registration and records (medical_demo.cc).
  Status SeedHealthRecords(api::DemoSeed& seed, const std::string& org_id, std::size_t hospital);
  // vault::Vault::IssueRecord in a transaction of its own.
  Status IssueRecordNow(std::string_view org_id, std::string_view citizen_id,
                        const vault::RecordRequest& record);
  // For the hospital's reads (medical_hospital.cc) and its FHIR routes.
  store::Database& database() const;
  vault::Vault& vault() const;
  // The FHIR R4 routes under /fhir/r4 (medical_fhir.cc).
  std::vector<api::RouteSpec> FhirRoutes();
  explicit MedicalScene(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The scene's tables, for tools that migrate without opening a MedicalScene.
std::span<const store::Migration> Migrations();

// The scene as the scene list registers it; always on, with the [medical]
// settings above.
std::unique_ptr<api::SceneModule> MakeMedicalModule();

}  // namespace citycode::medical

#endif  // CITYCODE_SCENES_MEDICAL_MEDICAL_H_
