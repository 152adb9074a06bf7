// The medical scene's facilities and registration. A booking is one write
// transaction: the slot's conditional update (booked < capacity) and the
// appointment's insert commit together or not at all, so concurrent
// bookings (and several server processes) never sell a place twice.
#include "scenes/medical/medical.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <future>
#include <initializer_list>
#include <memory>
#include <utility>

#include "api/figures.h"
#include "api/route.h"
#include "code/verifier.h"
#include "crypto/random.h"
#include "scenes/medical/internal/ledger.h"
#include "scenes/medical/internal/rows.h"
#include "store/group_commit.h"

namespace citycode::medical {
namespace {

using namespace internal;  // the scene's own rows (internal/rows.h)
using platform::Principal;
using platform::Role;
using store::Int;
using store::Text;
using store::Time;

// Times are unix seconds (UTC); days are the city's local days, YYYY-MM-DD.
// An appointment's citizen_id is the platform's opaque id; no name or ID
// number is stored here. The partial unique index allows one booked
// appointment per citizen and schedule; cancelled ones stay as records.
//
// 4002, visits and pick-up: an encounter per checked-in appointment (the
// unique appointment_id is the check-in). Its summary column is no longer
// written (4004). A prescription is dispensed once: dispensed_at is set by
// one conditional update; its queue number comes from the hospital's
// counter of the local day.
//
// 4003, schedule stops and no-shows: a stopped schedule has stopped_at (its
// slots are no longer bookable); its appointments are cancelled with the
// cause schedule_stopped and each patient gets a notice with the fee to
// refund (refund_fen, for billing). A no-show is a booked appointment with
// no_show_at (set by upkeep after its session); a block is a period without
// online booking.
//
// 4004, health records: a closed visit's summary is a health record in the
// vault (sealed there, signed for the hospital); the encounter keeps its
// identifier.
//
// 4005, terminal roles and walk-ins: a terminal's role at its hospital (a
// desk names its clinician). A walk-in is stored with channel 'kiosk' (a
// hospital terminal booked it, terminal_id the desk) and walk_in = 1,
// answered as channel walk_in: the channel's CHECK cannot be changed on
// SQLite without rebuilding the table.
//
// 4006, fees: the patients' ledger (internal/ledger.h), one row per posting
// with both of its entries, the patient's receivable debited amount_fen and
// counter_account ('revenue:<org_id>') credited as much; the view
// medical_ledger_lines lists the two entries. Rows are only inserted: a
// refund is its own posting (negative) that names the charge it reverses.
// The unique keys (kind, appointment_id) and (kind, prescription_id) book a
// charge or refund once; day is the city's local day of posted_at; seq
// numbers a patient's postings in order. A patient's account row is locked
// (written) first by every transaction that posts for them and holds the
// number and sum of their postings, as transit's riders' rows do.
//
// 4007, hospital systems (FHIR): a patient's pseudonym at each hospital
// (alias), made on first use; a hospital system's own id of a booking
// (booking_identifier, unique per hospital), for idempotent creates.
const std::array<store::Migration, 7> kMigrations = {{
    {4001, "medical",
     R"sql(
CREATE TABLE medical_departments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE TABLE medical_clinicians (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  department_id TEXT NOT NULL REFERENCES medical_departments(id),
  name TEXT NOT NULL,
  title TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX medical_clinicians_org ON medical_clinicians(org_id);
CREATE TABLE medical_schedules (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  clinician_id TEXT NOT NULL REFERENCES medical_clinicians(id),
  department_id TEXT NOT NULL REFERENCES medical_departments(id),
  day TEXT NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  CHECK (starts_at < ends_at)
);
CREATE INDEX medical_schedules_clinician ON medical_schedules(clinician_id, starts_at);
CREATE TABLE medical_slots (
  id TEXT PRIMARY KEY,
  schedule_id TEXT NOT NULL REFERENCES medical_schedules(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  day TEXT NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  capacity BIGINT NOT NULL CHECK (capacity > 0),
  booked BIGINT NOT NULL CHECK (booked >= 0 AND booked <= capacity),
  fee_fen BIGINT NOT NULL CHECK (fee_fen >= 0)
);
CREATE INDEX medical_slots_day ON medical_slots(org_id, day, starts_at);
CREATE TABLE medical_appointments (
  id TEXT PRIMARY KEY,
  slot_id TEXT NOT NULL REFERENCES medical_slots(id),
  schedule_id TEXT NOT NULL REFERENCES medical_schedules(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  state TEXT NOT NULL CHECK (state IN ('booked', 'cancelled')),
  channel TEXT NOT NULL CHECK (channel IN ('online', 'kiosk')),
  terminal_id TEXT REFERENCES terminals(id),
  verification_id TEXT,
  booked_at BIGINT NOT NULL,
  cancelled_at BIGINT
);
CREATE UNIQUE INDEX medical_appointments_one_per_schedule
  ON medical_appointments(citizen_id, schedule_id) WHERE state = 'booked';
CREATE INDEX medical_appointments_citizen ON medical_appointments(citizen_id);
CREATE INDEX medical_appointments_slot ON medical_appointments(slot_id);
)sql"},
    {4002, "medical visits and prescriptions",
     R"sql(
CREATE TABLE medical_encounters (
  id TEXT PRIMARY KEY,
  appointment_id TEXT NOT NULL UNIQUE REFERENCES medical_appointments(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  clinician_id TEXT NOT NULL REFERENCES medical_clinicians(id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  terminal_id TEXT NOT NULL REFERENCES terminals(id),
  verification_id TEXT,
  opened_at BIGINT NOT NULL,
  closed_at BIGINT,
  summary TEXT
);
CREATE INDEX medical_encounters_citizen ON medical_encounters(citizen_id);
CREATE TABLE medical_prescriptions (
  id TEXT PRIMARY KEY,
  encounter_id TEXT NOT NULL REFERENCES medical_encounters(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  total_fen BIGINT NOT NULL CHECK (total_fen >= 0),
  issued_at BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  dispensed_at BIGINT,
  dispensed_by TEXT REFERENCES terminals(id),
  verification_id TEXT,
  queue_day TEXT,
  queue_number BIGINT,
  UNIQUE (org_id, queue_day, queue_number)
);
CREATE INDEX medical_prescriptions_citizen ON medical_prescriptions(citizen_id);
CREATE TABLE medical_prescription_items (
  prescription_id TEXT NOT NULL REFERENCES medical_prescriptions(id),
  position BIGINT NOT NULL,
  drug TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen >= 0),
  PRIMARY KEY (prescription_id, position)
);
CREATE TABLE medical_pharmacy_counters (
  org_id TEXT NOT NULL REFERENCES organisations(id),
  day TEXT NOT NULL,
  next BIGINT NOT NULL,
  PRIMARY KEY (org_id, day)
);
)sql"},
    {4003, "medical schedule stops and no-shows",
     R"sql(
ALTER TABLE medical_schedules ADD COLUMN stopped_at BIGINT;
ALTER TABLE medical_schedules ADD COLUMN stop_reason TEXT;
ALTER TABLE medical_appointments ADD COLUMN cancel_cause TEXT;
ALTER TABLE medical_appointments ADD COLUMN no_show_at BIGINT;
CREATE TABLE medical_notices (
  id TEXT PRIMARY KEY,
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  kind TEXT NOT NULL CHECK (kind IN ('schedule_stopped')),
  appointment_id TEXT NOT NULL REFERENCES medical_appointments(id),
  schedule_id TEXT NOT NULL REFERENCES medical_schedules(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  reason TEXT NOT NULL,
  refund_fen BIGINT NOT NULL CHECK (refund_fen >= 0),
  created_at BIGINT NOT NULL
);
CREATE INDEX medical_notices_citizen ON medical_notices(citizen_id);
CREATE TABLE medical_booking_blocks (
  id TEXT PRIMARY KEY,
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  blocked_at BIGINT NOT NULL,
  blocked_until BIGINT NOT NULL
);
CREATE INDEX medical_booking_blocks_citizen ON medical_booking_blocks(citizen_id);
CREATE INDEX medical_appointments_booked_by_schedule ON medical_appointments(schedule_id)
  WHERE state = 'booked';
)sql"},
    {4004, "medical health records",
     R"sql(
ALTER TABLE medical_encounters ADD COLUMN record_identifier TEXT;
)sql"},
    {4005, "medical terminal roles and walk-ins",
     R"sql(
CREATE TABLE medical_terminals (
  terminal_id TEXT PRIMARY KEY REFERENCES terminals(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  role TEXT NOT NULL CHECK (role IN ('kiosk', 'desk', 'pharmacy')),
  clinician_id TEXT REFERENCES medical_clinicians(id),
  updated_at BIGINT NOT NULL
);
CREATE INDEX medical_terminals_org ON medical_terminals(org_id);
ALTER TABLE medical_appointments ADD COLUMN walk_in BIGINT NOT NULL DEFAULT 0;
)sql"},
    {4006, "medical fees",
     R"sql(
CREATE TABLE medical_postings (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('registration_fee', 'registration_refund', 'prescription')),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  appointment_id TEXT REFERENCES medical_appointments(id),
  prescription_id TEXT REFERENCES medical_prescriptions(id),
  reverses TEXT REFERENCES medical_postings(id),
  amount_fen BIGINT NOT NULL,
  counter_account TEXT NOT NULL,
  posted_at BIGINT NOT NULL,
  day TEXT NOT NULL,
  seq BIGINT NOT NULL,
  CHECK ((kind = 'prescription') = (prescription_id IS NOT NULL)),
  CHECK ((kind = 'prescription') = (appointment_id IS NULL)),
  CHECK ((kind = 'registration_refund') = (reverses IS NOT NULL)),
  CHECK ((kind = 'registration_refund') = (amount_fen < 0)),
  CHECK (amount_fen <> 0),
  UNIQUE (kind, appointment_id),
  UNIQUE (kind, prescription_id),
  UNIQUE (citizen_id, seq)
);
CREATE TABLE medical_patient_accounts (
  citizen_id TEXT PRIMARY KEY REFERENCES citizens(id),
  postings BIGINT NOT NULL,
  balance_fen BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX medical_postings_org_day ON medical_postings(org_id, day);
CREATE VIEW medical_ledger_lines AS
  SELECT id AS posting_id, 1 AS line, posted_at, citizen_id, 'receivable' AS account,
         amount_fen, kind FROM medical_postings
  UNION ALL
  SELECT id AS posting_id, 2 AS line, posted_at, citizen_id, counter_account AS account,
         -amount_fen AS amount_fen, kind FROM medical_postings;
)sql"},
    {4007, "medical hospital systems",
     R"sql(
CREATE TABLE medical_patient_aliases (
  alias TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  created_at BIGINT NOT NULL,
  UNIQUE (org_id, citizen_id)
);
ALTER TABLE medical_appointments ADD COLUMN booking_identifier TEXT;
CREATE UNIQUE INDEX medical_appointments_booking_identifier
  ON medical_appointments(org_id, booking_identifier) WHERE booking_identifier IS NOT NULL;
)sql"},
}};

constexpr std::size_t kMaxName = 64;
constexpr std::size_t kMaxTitle = 32;
constexpr std::int64_t kMinSlotMinutes = 5;
constexpr std::int64_t kMaxSlotsPerSchedule = 96;
constexpr std::int64_t kMaxCapacity = 1000;
constexpr std::int64_t kMaxFeeFen = 10'000'000;  // 100 000 yuan

store::Value OptionalText(std::string_view v) {
  return v.empty() ? store::Value(nullptr) : store::Value(std::string(v));
}

// "HH:MM", 00:00-23:59, as time since local midnight.
Result<std::chrono::minutes> ParseTimeOfDay(std::string_view text) {
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return InvalidArgument("a time of day is HH:MM");
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return InvalidArgument("a time of day is HH:MM");
  return std::chrono::minutes(hours * 60 + minutes);
}

Status CheckSlotShape(const ScheduleRequest& request, std::chrono::minutes length) {
  if (length.count() <= 0) return InvalidArgument("a session ends after it starts");
  if (request.slot_minutes < kMinSlotMinutes || length.count() % request.slot_minutes != 0 ||
      length.count() / request.slot_minutes > kMaxSlotsPerSchedule) {
    return InvalidArgument(
        "slot_minutes must be at least 5, divide the session, and make at "
        "most 96 slots");
  }
  if (request.capacity < 1 || request.capacity > kMaxCapacity) {
    return InvalidArgument("capacity must be 1-1000");
  }
  if (request.fee_fen < 0 || request.fee_fen > kMaxFeeFen) {
    return InvalidArgument("fee_fen must be 0-10000000");
  }
  return OkStatus();
}

// --- refusals ---

Status NotAHospital() {
  return FailedPrecondition("the organisation is not a hospital", "not_a_hospital");
}

Status AlreadyCheckedIn() {
  return AlreadyExists("the appointment is checked in already", "already_checked_in");
}

Status NotAKiosk() {
  return PermissionDenied("only a registration kiosk or a desk books here", "not_a_kiosk");
}
Status NotADesk() {
  return PermissionDenied("only a clinician's desk sees patients", "not_a_desk");
}
Status NotAPharmacy() { return PermissionDenied("only the pharmacy dispenses", "not_a_pharmacy"); }

constexpr std::string_view kTerminalSelect =
    "SELECT terminal_id, org_id, role, clinician_id, updated_at FROM medical_terminals";

Result<MedicalTerminal> TerminalFromRow(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(TerminalRole role, TerminalRoleFromName(row.Text(2)));
  return MedicalTerminal{.terminal_id = row.Text(0),
                         .org_id = row.Text(1),
                         .role = role,
                         .clinician_id = row.OptionalText(3).value_or(""),
                         .updated_at = FromUnixSeconds(row.Int(4))};
}

// The role of the hospital's terminal, if it has one.
Result<std::optional<MedicalTerminal>> FindTerminal(store::Transaction& tx,
                                                    std::string_view terminal_id,
                                                    std::string_view org_id) {
  const store::Value params[] = {Text(terminal_id), Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional(std::string(kTerminalSelect) + " WHERE terminal_id = ? AND "
                                                                "org_id = ?",
                                 params));
  if (!row) return std::optional<MedicalTerminal>();
  CITYCODE_ASSIGN_OR_RETURN(MedicalTerminal terminal, TerminalFromRow(*row));
  return std::optional<MedicalTerminal>(std::move(terminal));
}

// --- rows ---

constexpr std::string_view kDepartmentSelect =
    "SELECT id, org_id, name, created_at FROM medical_departments";

Department DepartmentFromRow(const store::Row& row) {
  return {.id = row.Text(0),
          .org_id = row.Text(1),
          .name = row.Text(2),
          .created_at = FromUnixSeconds(row.Int(3))};
}

// A department or clinician row of `org_id`: not_found when unknown,
// permission_denied when another organisation's.
Result<store::Row> LoadOwned(store::Transaction& tx, std::string_view select, std::string_view id,
                             std::string_view org_id, std::string_view what) {
  const store::Value params[] = {Text(id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row,
                            tx.QueryOptional(std::string(select) + " WHERE id = ?", params));
  if (!row) return NotFound("no such " + std::string(what));
  if (row->Text(1) != org_id) {
    return PermissionDenied("the " + std::string(what) + " is another organisation's");
  }
  return *std::move(row);
}

// Refuses a session overlapping another of the clinician's. The clinician's
// row is updated first, so concurrent schedules for one clinician are
// checked one after the other (store/database.h).
Status CheckNoOverlap(store::Transaction& tx, std::string_view clinician_id,
                      const Schedule& schedule) {
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("UPDATE medical_clinicians SET created_at = created_at WHERE id = ?",
                 {Text(clinician_id)})
          .status());
  CITYCODE_ASSIGN_OR_RETURN(
      auto clash,
      tx.QueryOptional("SELECT id FROM medical_schedules WHERE clinician_id = ? AND "
                       "starts_at < ? AND ends_at > ?",
                       {Text(clinician_id), Time(schedule.ends_at), Time(schedule.starts_at)}));
  if (clash) return AlreadyExists("the clinician has a session at that time", "schedule_overlaps");
  return OkStatus();
}

// Cuts the session into slots of request.slot_minutes and inserts them.
Result<std::vector<Slot>> PublishSlots(store::Transaction& tx, const Schedule& schedule,
                                       const Clinician& clinician, const ScheduleRequest& request) {
  CITYCODE_ASSIGN_OR_RETURN(store::Row department,
                            tx.QueryOne("SELECT name FROM medical_departments WHERE id = ?",
                                        {Text(clinician.department_id)}));
  std::vector<Slot> slots;
  const auto length = std::chrono::minutes(request.slot_minutes);
  for (Instant at = schedule.starts_at; at < schedule.ends_at; at += length) {
    Slot slot{.id = crypto::RandomId("slot"),
              .schedule_id = schedule.id,
              .org_id = schedule.org_id,
              .department_id = clinician.department_id,
              .department_name = department.Text(0),
              .clinician_id = clinician.id,
              .clinician_name = clinician.name,
              .clinician_title = clinician.title,
              .day = schedule.day,
              .starts_at = at,
              .ends_at = at + length,
              .capacity = request.capacity,
              .fee_fen = request.fee_fen};
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute(
              "INSERT INTO medical_slots (id, schedule_id, org_id, day, starts_at, ends_at, "
              "capacity, booked, fee_fen) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
              {Text(slot.id), Text(slot.schedule_id), Text(slot.org_id), Text(slot.day),
               Time(slot.starts_at), Time(slot.ends_at), Int(slot.capacity), Int(slot.fee_fen)})
            .status());
    slots.push_back(std::move(slot));
  }
  return slots;
}

}  // namespace

std::string_view AppointmentStateName(AppointmentState state) {
  switch (state) {
    case AppointmentState::kBooked: return "booked";
    case AppointmentState::kCancelled: return "cancelled";
    case AppointmentState::kStopped: return "stopped";
    case AppointmentState::kNoShow: return "no_show";
  }
  return "unknown";
}

std::string_view BookingChannelName(BookingChannel channel) {
  switch (channel) {
    case BookingChannel::kOnline: return "online";
    case BookingChannel::kKiosk: return "kiosk";
    case BookingChannel::kWalkIn: return "walk_in";
  }
  return "unknown";
}

std::string_view PostingKindName(PostingKind kind) {
  switch (kind) {
    case PostingKind::kRegistrationFee: return "registration_fee";
    case PostingKind::kRegistrationRefund: return "registration_refund";
    case PostingKind::kPrescription: return "prescription";
  }
  return "unknown";
}

std::string_view TerminalRoleName(TerminalRole role) {
  switch (role) {
    case TerminalRole::kKiosk: return "kiosk";
    case TerminalRole::kDesk: return "desk";
    case TerminalRole::kPharmacy: return "pharmacy";
  }
  return "unknown";
}

Result<TerminalRole> TerminalRoleFromName(std::string_view name) {
  for (TerminalRole role : {TerminalRole::kKiosk, TerminalRole::kDesk, TerminalRole::kPharmacy}) {
    if (name == TerminalRoleName(role)) return role;
  }
  return InvalidArgument("a terminal's role is kiosk, desk or pharmacy");
}

std::span<const store::Migration> Migrations() { return kMigrations; }

namespace {

constexpr std::size_t kMaxBookingIdentifier = 256;
// Booking transactions at once on PostgreSQL (CommitBooking): 8 measured
// no faster (docs/BENCHMARKS.md, "Bookings answered from their commit").
constexpr int kPostgresBookingCommitters = 4;

// already_exists "booking_identifier_taken" when the hospital booked under
// `identifier` before (the unique index is the backstop of this check).
Status CheckIdentifierFree(store::Transaction& tx, std::string_view org_id,
                           std::string_view identifier) {
  if (identifier.empty()) return OkStatus();
  const store::Value params[] = {Text(org_id), Text(identifier)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto taken, tx.QueryOptional("SELECT id FROM medical_appointments WHERE org_id = ? AND "
                                   "booking_identifier = ?",
                                   params));
  if (taken) {
    return AlreadyExists("the hospital booked under this identifier before",
                         "booking_identifier_taken");
  }
  return OkStatus();
}

// Who books, as the booking transaction needs it.
struct Booker {
  std::string citizen_id;
  BookingChannel channel = BookingChannel::kOnline;
  std::string terminal_id;
  std::string verification_id;
  std::string booking_identifier;  // the hospital system's, if any
};

// What a kiosk's booking transaction ended with.
struct KioskBooking {
  Status refused;  // the booking's refusal, if any (the transaction still commits)
  Appointment booked;
};

}  // namespace

struct MedicalScene::Impl {
  store::Database& db;
  const Clock& clock;
  platform::Platform& platform;
  vault::Vault& vault;
  CityTime time;
  MedicalOptions options;
  // The bookings' commits (CommitBooking). Last: its destructor commits
  // what is still queued, which uses the members above.
  std::unique_ptr<store::GroupCommit> bookings;

  // A posting made `now`, on the city's local day.
  internal::PostingTime PostingAt(Instant now) const {
    return {.now = now, .local_day = FormatIsoDay(time.LocalDay(now))};
  }

  Status RequireHospital(std::string_view org_id) {
    CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org, platform.organisations().Get(org_id));
    if (org.kind != platform::OrgKind::kHospital) return NotAHospital();
    return OkStatus();
  }

  // Open: its local day at most booking_days_ahead days after today, and
  // now before the slot's start less booking_closes_minutes_before.
  bool IsOpen(const Slot& slot, Instant now) const {
    const auto last_day = time.LocalDay(now) + std::chrono::days(options.booking_days_ahead);
    const auto closes =
        slot.starts_at - std::chrono::minutes(options.booking_closes_minutes_before);
    return time.LocalDay(slot.starts_at) <= last_day && now < closes;
  }

  // Everything about the slot that refuses a booking before the code or
  // the places are touched; `terminal`: the booking kiosk, if any.
  Status CheckBookable(const Slot& slot, Instant now, const Principal* terminal) const {
    if (terminal != nullptr && slot.org_id != terminal->org_id) {
      return PermissionDenied("the slot is another hospital's", "slot_of_another_hospital");
    }
    if (slot.stopped) return ScheduleStopped();
    if (!IsOpen(slot, now)) {
      return FailedPrecondition("the slot is not open for booking", "slot_not_open");
    }
    return OkStatus();
  }

  Result<Slot> LoadBookableSlot(std::string_view slot_id, const Principal* terminal) {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, db.Begin(store::TransactionMode::kRead));
    return LoadBookableSlotIn(*tx, slot_id, terminal);
  }
  Result<Slot> LoadBookableSlotIn(store::Transaction& tx, std::string_view slot_id,
                                  const Principal* terminal) {
    CITYCODE_ASSIGN_OR_RETURN(std::optional<Slot> slot, FindSlot(tx, slot_id));
    if (!slot) return NotFound("no such slot");
    CITYCODE_RETURN_IF_ERROR(CheckBookable(*slot, clock.Now(), terminal));
    // Full now: refused before a kiosk uses up the code (Book checks again).
    if (slot->booked >= slot->capacity) return SlotFull();
    return *std::move(slot);
  }

  // The booking of a slot read and checked before (LoadBookableSlot), in
  // one write transaction that holds only what must be atomic: the place
  // (TakeOpenPlace, which checks again that the slot is open) and the
  // appointment (its unique index is the one-per-session rule) with its
  // fee. Kept short: bookings queue for the writer.
  Result<Appointment> Book(const Booker& booker, Slot slot, const Principal* terminal) {
    Appointment booked;
    CITYCODE_RETURN_IF_ERROR(CommitBooking([&](store::Transaction& tx) -> Status {
      CITYCODE_ASSIGN_OR_RETURN(booked, BookSlotIn(tx, booker, slot, terminal));
      return OkStatus();
    }));
    return booked;
  }
  // A kiosk's booking in one transaction: the role and the slot first (a
  // refusal there writes nothing and leaves the code unused), then the
  // code's use (a refused code is recorded and answered), the identity and
  // the booking. Refusals go to `out.refused`; an error rolls it all back.
  Status BookAtTerminalIn(store::Transaction& tx, const Principal& terminal,
                          const code::VerificationResult& checked, std::string_view slot_id,
                          std::string_view booking_identifier, KioskBooking& out) {
    Result<Slot> slot = LoadKioskSlot(tx, terminal, slot_id);
    if (!slot.ok()) {
      if (slot.status().is_system()) return slot.status();
      out.refused = slot.status();
      return OkStatus();
    }
    CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                              platform.verification().RecordIn(tx, terminal, checked));
    out.refused = platform::Verification::ActionRefusal(verification);
    if (out.refused.ok()) out.refused = vault.CheckGuardianLink(tx, verification);
    if (!out.refused.ok()) return OkStatus();
    if (!verification.identity_verified) return platform::IdentityNotVerified();
    CITYCODE_RETURN_IF_ERROR(CheckIdentifierFree(tx, terminal.org_id, booking_identifier));
    CITYCODE_ASSIGN_OR_RETURN(out.booked,
                              BookSlotIn(tx,
                                         {.citizen_id = verification.citizen_id,
                                          .channel = BookingChannel::kKiosk,
                                          .terminal_id = terminal.terminal_id,
                                          .verification_id = verification.verification_id,
                                          .booking_identifier = std::string(booking_identifier)},
                                         *std::move(slot), &terminal));
    return OkStatus();
  }
  Result<Slot> LoadKioskSlot(store::Transaction& tx, const Principal& terminal,
                             std::string_view slot_id) {
    CITYCODE_RETURN_IF_ERROR(
        RequireRoleIn(tx, terminal, {TerminalRole::kKiosk, TerminalRole::kDesk}, NotAKiosk())
            .status());
    return LoadBookableSlotIn(tx, slot_id, &terminal);
  }

  // On SQLite bookings that arrive together share a commit and its fsync
  // (store/group_commit.h), a refused one rolling back alone. On
  // PostgreSQL each is its own transaction, kPostgresBookingCommitters at
  // once: its commits share WAL flushes already, and batches on several
  // connections would take the same slots' rows in different orders and
  // wait for the deadlock detector (a second) to part them.
  Status CommitBooking(const store::GroupCommit::Unit& unit) { return bookings->Run(unit); }
  Result<Appointment> BookSlotIn(store::Transaction& tx, const Booker& booker, Slot slot,
                                 const Principal* terminal) {
    const Instant now = clock.Now();
    CITYCODE_ASSIGN_OR_RETURN(bool taken, TakeOpenPlace(tx, slot.id, now));
    if (!taken) return WhyNotTaken(tx, slot.id, terminal, now);
    // One booking per patient and session: the insert's unique index says
    // already_booked, and the place goes back with the rollback. Ids in
    // booking order: the appointments' keys (and the fees') grow at their
    // end instead of writing a random page each.
    Appointment booked{.id = crypto::TimeOrderedId("apt", now),
                       .slot = std::move(slot),
                       .citizen_id = booker.citizen_id,
                       .state = AppointmentState::kBooked,
                       .channel = booker.channel,
                       .terminal_id = booker.terminal_id,
                       .booked_at = now,
                       .booking_identifier = booker.booking_identifier};
    booked.slot.booked += 1;
    CITYCODE_RETURN_IF_ERROR(
        InsertAppointment(tx, booked, booker.verification_id, booker.booking_identifier));
    return booked;
  }

  // TakePlace for a slot that is still open now: not started (less the
  // closing time) and its session not stopped.
  Result<bool> TakeOpenPlace(store::Transaction& tx, std::string_view slot_id, Instant now) {
    const store::Value take[] = {
        Text(slot_id), Time(now + std::chrono::minutes(options.booking_closes_minutes_before))};
    CITYCODE_ASSIGN_OR_RETURN(
        auto taken, tx.Execute("UPDATE medical_slots SET booked = booked + 1 WHERE id = ? AND "
                               "booked < capacity AND starts_at > ? AND NOT EXISTS (SELECT 1 FROM "
                               "medical_schedules h WHERE h.id = medical_slots.schedule_id AND "
                               "h.stopped_at IS NOT NULL)",
                               take));
    return taken == 1;
  }

  // Why TakeOpenPlace took no place: the slot closed, stopped or filled
  // since it was read.
  Status WhyNotTaken(store::Transaction& tx, std::string_view slot_id, const Principal* terminal,
                     Instant now) {
    CITYCODE_ASSIGN_OR_RETURN(std::optional<Slot> slot, FindSlot(tx, slot_id));
    if (!slot) return NotFound("no such slot");
    CITYCODE_RETURN_IF_ERROR(CheckBookable(*slot, now, terminal));
    return SlotFull();
  }

  // The one statement that guards the capacity: concurrent bookings wait on
  // the row (PostgreSQL) or the write lock (SQLite), and only those that
  // find a place left change it. False when the slot is full.
  static Result<bool> TakePlace(store::Transaction& tx, std::string_view slot_id) {
    const store::Value take[] = {Text(slot_id)};
    CITYCODE_ASSIGN_OR_RETURN(auto taken, tx.Execute("UPDATE medical_slots SET booked = booked + 1 "
                                                     "WHERE id = ? AND booked < capacity",
                                                     take));
    return taken == 1;
  }

  // Inserts the booked appointment whose place was taken and posts its fee
  // on the patient's bill. A walk-in is stored as channel 'kiosk' with
  // walk_in = 1 (see 4005).
  Status InsertAppointment(store::Transaction& tx, const Appointment& a,
                           std::string_view verification_id,
                           std::string_view booking_identifier = {}) const {
    const bool walk_in = a.channel == BookingChannel::kWalkIn;
    const store::Value row[] = {Text(a.id),
                                Text(a.slot.id),
                                Text(a.slot.schedule_id),
                                Text(a.slot.org_id),
                                Text(a.citizen_id),
                                Text(walk_in ? "kiosk" : BookingChannelName(a.channel)),
                                OptionalText(a.terminal_id),
                                OptionalText(verification_id),
                                Time(a.booked_at),
                                Int(walk_in ? 1 : 0),
                                OptionalText(booking_identifier)};
    auto inserted = tx.Execute(
        "INSERT INTO medical_appointments (id, slot_id, schedule_id, org_id, citizen_id, "
        "state, channel, terminal_id, verification_id, booked_at, walk_in, booking_identifier) "
        "VALUES (?, ?, ?, ?, ?, 'booked', ?, ?, ?, ?, ?, ?)",
        row);
    // A concurrent booking of the same citizen for the schedule.
    if (inserted.status().code() == StatusCode::kAlreadyExists) return AlreadyBooked();
    CITYCODE_RETURN_IF_ERROR(inserted.status());
    return internal::PostRegistrationFee(tx, PostingAt(a.booked_at), a.id, a.citizen_id,
                                         a.slot.org_id, a.slot.fee_fen);
  }

  // The terminal's role, if it is one of `allowed`; `refusal` otherwise (no
  // role, or another). Read before the terminal uses up a code.
  Result<MedicalTerminal> RequireRole(const Principal& who,
                                      std::initializer_list<TerminalRole> allowed,
                                      const Status& refusal) {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, db.Begin(store::TransactionMode::kRead));
    return RequireRoleIn(*tx, who, allowed, refusal);
  }
  Result<MedicalTerminal> RequireRoleIn(store::Transaction& tx, const Principal& who,
                                        std::initializer_list<TerminalRole> allowed,
                                        const Status& refusal) {
    CITYCODE_RETURN_IF_ERROR(RequireMedicalTerminal(who));
    CITYCODE_ASSIGN_OR_RETURN(std::optional<MedicalTerminal> registered,
                              FindTerminal(tx, who.terminal_id, who.org_id));
    if (!registered ||
        std::find(allowed.begin(), allowed.end(), registered->role) == allowed.end()) {
      return refusal;
    }
    return *std::move(registered);
  }

  // A walk-in at `desk`: a place in its clinician's session of today, in
  // the slot running now or the first later one with a place (booking's
  // closing time does not apply: the patient is there), booked in `tx`.
  Result<Appointment> BookWalkIn(store::Transaction& tx, const MedicalTerminal& desk,
                                 const platform::OnlineVerification& verification, Instant now) {
    if (desk.clinician_id.empty()) {
      return FailedPrecondition("the desk has no clinician to see a walk-in",
                                "desk_without_clinician");
    }
    const store::Value mine[] = {Text(desk.clinician_id), Text(desk.org_id),
                                 Text(FormatIsoDay(time.LocalDay(now))), Time(now)};
    CITYCODE_ASSIGN_OR_RETURN(
        std::vector<Slot> remaining,
        QuerySlots(tx,
                   "WHERE h.clinician_id = ? AND s.org_id = ? AND s.day = ? AND "
                   "h.stopped_at IS NULL AND s.ends_at > ? ORDER BY s.starts_at, s.id",
                   mine));
    if (remaining.empty()) {
      return FailedPrecondition("the desk's clinician has no session now or later today",
                                "no_session_now");
    }
    for (const Slot& slot : remaining) {
      CITYCODE_ASSIGN_OR_RETURN(bool taken, TakePlace(tx, slot.id));
      if (!taken) continue;
      Appointment booked{.id = crypto::TimeOrderedId("apt", now),
                         .slot = slot,
                         .citizen_id = verification.citizen_id,
                         .state = AppointmentState::kBooked,
                         .channel = BookingChannel::kWalkIn,
                         .terminal_id = desk.terminal_id,
                         .booked_at = now};
      booked.slot.booked += 1;
      CITYCODE_RETURN_IF_ERROR(InsertAppointment(tx, booked, verification.verification_id));
      return booked;
    }
    return SlotFull();
  }

  static Status ScheduleStopped() {
    return FailedPrecondition("the session was stopped (停诊)", "schedule_stopped");
  }

  // The latest block's start and end, if any.
  Result<std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>>> LastBlock(
      store::Transaction& tx, std::string_view citizen_id) {
    const store::Value params[] = {Text(citizen_id)};
    CITYCODE_ASSIGN_OR_RETURN(store::Row row,
                              tx.QueryOne("SELECT MAX(blocked_at), MAX(blocked_until) FROM "
                                          "medical_booking_blocks WHERE citizen_id = ?",
                                          params));
    return std::pair{row.OptionalInt(0), row.OptionalInt(1)};
  }

  // No-shows whose slot started within the window, marked after the last
  // block began: those that count towards the next block.
  Result<std::int64_t> CountNoShows(store::Transaction& tx, std::string_view citizen_id,
                                    Instant now) {
    CITYCODE_ASSIGN_OR_RETURN(auto block, LastBlock(tx, citizen_id));
    const store::Value params[] = {Text(citizen_id),
                                   Time(now - std::chrono::days(options.no_show_window_days)),
                                   Int(block.first.value_or(-1))};
    CITYCODE_ASSIGN_OR_RETURN(
        store::Row row,
        tx.QueryOne("SELECT COUNT(*) FROM medical_appointments a JOIN medical_slots s ON "
                    "s.id = a.slot_id WHERE a.citizen_id = ? AND a.no_show_at IS NOT NULL AND "
                    "s.starts_at >= ? AND a.no_show_at > ?",
                    params));
    return row.Int(0);
  }

  // The visit's summary as a health record in the vault, issued by the
  // hospital to the patient (vault::Vault::IssueRecord) in `tx`.
  Result<std::string> IssueVisitSummary(store::Transaction& tx, const Encounter& encounter,
                                        std::string_view summary, Instant now) {
    const store::Value params[] = {Text(encounter.clinician_id)};
    CITYCODE_ASSIGN_OR_RETURN(store::Row row,
                              tx.QueryOne("SELECT c.name, d.name FROM medical_clinicians c JOIN "
                                          "medical_departments d ON d.id = c.department_id "
                                          "WHERE c.id = ?",
                                          params));
    return vault.IssueRecord(tx, encounter.org_id, encounter.citizen_id,
                             {.type = "visit_summary",
                              .fields = {{"department", row.Text(1)},
                                         {"clinician", row.Text(0)},
                                         {"visit_date", FormatIsoDay(time.LocalDay(now))},
                                         {"summary", std::string(summary)}}});
  }

  static Status SlotFull() { return FailedPrecondition("the slot is fully booked", "slot_full"); }

  // Cancels the booked appointment `which` finds (one, by id): before its
  // slot starts and before it is checked in; frees the place and refunds
  // the fee, in one write transaction.
  Result<Appointment> Cancel(std::string_view which, std::span<const store::Value> params) {
    Appointment cancelled;
    CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
        db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
          CITYCODE_ASSIGN_OR_RETURN(std::vector<Appointment> found,
                                    QueryAppointments(tx, which, params));
          if (found.empty()) return NotFound("no such appointment");
          cancelled = std::move(found.front());
          const Instant now = clock.Now();
          if (cancelled.state == AppointmentState::kCancelled ||
              cancelled.state == AppointmentState::kStopped) {
            return FailedPrecondition("the appointment is cancelled already", "already_cancelled");
          }
          if (now >= cancelled.slot.starts_at) {
            return FailedPrecondition("the slot has started: too late to cancel", "slot_started");
          }
          const store::Value encounter[] = {Text(cancelled.id)};
          CITYCODE_ASSIGN_OR_RETURN(
              auto checked_in,
              tx.QueryOptional("SELECT id FROM medical_encounters WHERE appointment_id = ?",
                               encounter));
          if (checked_in) return AlreadyCheckedIn();
          const store::Value cancel[] = {Time(now), Text(cancelled.id)};
          CITYCODE_ASSIGN_OR_RETURN(
              auto changed, tx.Execute("UPDATE medical_appointments SET state = 'cancelled', "
                                       "cancelled_at = ? WHERE id = ? AND state = 'booked'",
                                       cancel));
          if (changed != 1) {
            return FailedPrecondition("the appointment is cancelled already", "already_cancelled");
          }
          const store::Value slot[] = {Text(cancelled.slot.id)};
          CITYCODE_ASSIGN_OR_RETURN(
              auto freed,
              tx.Execute("UPDATE medical_slots SET booked = booked - 1 WHERE id = ? AND booked > 0",
                         slot));
          if (freed != 1) return Internal("a booked appointment's slot has no place booked");
          CITYCODE_RETURN_IF_ERROR(
              internal::PostRegistrationRefund(tx, PostingAt(now), cancelled.id).status());
          cancelled.state = AppointmentState::kCancelled;
          cancelled.cancelled_at = now;
          cancelled.slot.booked -= 1;
          return OkStatus();
        }));
    return cancelled;
  }

  static Status AlreadyBooked() {
    return AlreadyExists("the patient has booked this session already", "already_booked");
  }
};

MedicalScene::MedicalScene(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
store::Database& MedicalScene::database() const { return impl_->db; }
Instant MedicalScene::Now() const { return impl_->clock.Now(); }
vault::Vault& MedicalScene::vault() const { return impl_->vault; }
MedicalScene::~MedicalScene() = default;

std::chrono::sys_days MedicalScene::LocalToday() const {
  return impl_->time.LocalDay(impl_->clock.Now());
}

Result<std::unique_ptr<MedicalScene>> MedicalScene::Open(store::Database& db, const Clock& clock,
                                                         platform::Platform& platform,
                                                         vault::Vault& vault, CityTime time,
                                                         MedicalOptions options) {
  CITYCODE_RETURN_IF_ERROR(db.Migrate(kMigrations));
  auto impl = std::make_unique<Impl>(Impl{.db = db,
                                          .clock = clock,
                                          .platform = platform,
                                          .vault = vault,
                                          .time = time,
                                          .options = options});
  impl->bookings = db.backend() == store::Backend::kPostgres
                       ? std::make_unique<store::GroupCommit>(db, kPostgresBookingCommitters, 1)
                       : std::make_unique<store::GroupCommit>(db);
  return std::unique_ptr<MedicalScene>(new MedicalScene(std::move(impl)));
}

// --- facilities ---

Result<Department> MedicalScene::CreateDepartment(std::string_view org_id, std::string_view name) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(api::CheckText(name, kMaxName, "a department name"));
  CITYCODE_RETURN_IF_ERROR(impl.RequireHospital(org_id));
  Department department{.id = crypto::RandomId("dep"),
                        .org_id = std::string(org_id),
                        .name = std::string(name),
                        .created_at = impl.clock.Now()};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value params[] = {Text(department.id), Text(department.org_id),
                                       Text(department.name), Time(department.created_at)};
        auto inserted = tx.Execute(
            "INSERT INTO medical_departments (id, org_id, name, created_at) VALUES (?, ?, ?, ?)",
            params);
        if (inserted.status().code() == StatusCode::kAlreadyExists) {
          return AlreadyExists("this hospital has a department of that name", "department_exists");
        }
        return inserted.status();
      }));
  return department;
}

Result<std::vector<Department>> MedicalScene::ListDepartments(std::string_view org_id) {
  CITYCODE_RETURN_IF_ERROR(impl_->RequireHospital(org_id));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kDepartmentSelect) + " WHERE org_id = ? ORDER BY name, id", params));
  std::vector<Department> out;
  for (const store::Row& row : rows) out.push_back(DepartmentFromRow(row));
  return out;
}

Result<Clinician> MedicalScene::CreateClinician(std::string_view org_id,
                                                std::string_view department_id,
                                                std::string_view name, std::string_view title) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(api::CheckText(name, kMaxName, "a clinician's name"));
  CITYCODE_RETURN_IF_ERROR(api::CheckText(title, kMaxTitle, "a clinician's title"));
  CITYCODE_RETURN_IF_ERROR(impl.RequireHospital(org_id));
  Clinician clinician{.id = crypto::RandomId("doc"),
                      .org_id = std::string(org_id),
                      .department_id = std::string(department_id),
                      .name = std::string(name),
                      .title = std::string(title),
                      .created_at = impl.clock.Now()};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_RETURN_IF_ERROR(
            LoadOwned(tx, kDepartmentSelect, department_id, org_id, "department").status());
        const store::Value params[] = {Text(clinician.id),    Text(clinician.org_id),
                                       Text(department_id),   Text(clinician.name),
                                       Text(clinician.title), Time(clinician.created_at)};
        return tx
            .Execute(
                "INSERT INTO medical_clinicians (id, org_id, department_id, name, title, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                params)
            .status();
      }));
  return clinician;
}

Result<std::vector<Clinician>> MedicalScene::ListClinicians(std::string_view org_id) {
  CITYCODE_RETURN_IF_ERROR(impl_->RequireHospital(org_id));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kClinicianSelect) + " WHERE org_id = ? ORDER BY name, id", params));
  std::vector<Clinician> out;
  for (const store::Row& row : rows) out.push_back(ClinicianFromRow(row));
  return out;
}

Result<Schedule> MedicalScene::CreateSchedule(std::string_view org_id,
                                              const ScheduleRequest& request) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(std::chrono::sys_days day, ParseIsoDay(request.day));
  CITYCODE_ASSIGN_OR_RETURN(std::chrono::minutes start, ParseTimeOfDay(request.start));
  CITYCODE_ASSIGN_OR_RETURN(std::chrono::minutes end, ParseTimeOfDay(request.end));
  CITYCODE_RETURN_IF_ERROR(CheckSlotShape(request, end - start));
  CITYCODE_RETURN_IF_ERROR(impl.RequireHospital(org_id));
  const Instant midnight = impl.time.StartOf(day);
  Schedule schedule{.id = crypto::RandomId("sch"),
                    .org_id = std::string(org_id),
                    .clinician_id = request.clinician_id,
                    .day = FormatIsoDay(day),
                    .starts_at = midnight + start,
                    .ends_at = midnight + end};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            store::Row row,
            LoadOwned(tx, kClinicianSelect, request.clinician_id, org_id, "clinician"));
        const Clinician clinician = ClinicianFromRow(row);
        schedule.department_id = clinician.department_id;
        CITYCODE_RETURN_IF_ERROR(CheckNoOverlap(tx, clinician.id, schedule));
        const store::Value params[] = {Text(schedule.id),      Text(schedule.org_id),
                                       Text(clinician.id),     Text(clinician.department_id),
                                       Text(schedule.day),     Time(schedule.starts_at),
                                       Time(schedule.ends_at), Time(impl.clock.Now())};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO medical_schedules (id, org_id, clinician_id, department_id, "
                       "day, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       params)
                .status());
        CITYCODE_ASSIGN_OR_RETURN(schedule.slots, PublishSlots(tx, schedule, clinician, request));
        return OkStatus();
      }));
  return schedule;
}

Result<MedicalTerminal> MedicalScene::RegisterTerminal(std::string_view org_id,
                                                       std::string_view terminal_id,
                                                       TerminalRole role,
                                                       std::string_view clinician_id) {
  Impl& impl = *impl_;
  if (role == TerminalRole::kDesk && clinician_id.empty()) {
    return InvalidArgument("a desk names its clinician (clinician_id)");
  }
  if (role != TerminalRole::kDesk && !clinician_id.empty()) {
    return InvalidArgument("only a desk has a clinician");
  }
  CITYCODE_RETURN_IF_ERROR(impl.RequireHospital(org_id));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<platform::Terminal> terminals,
                            impl.platform.access_keys().ListTerminals(org_id));
  auto terminal = std::find_if(terminals.begin(), terminals.end(),
                               [&](const platform::Terminal& t) { return t.id == terminal_id; });
  if (terminal == terminals.end()) {
    return PermissionDenied("the terminal is not this hospital's", "terminal_of_another_hospital");
  }
  if (!terminal->active) return FailedPrecondition("the terminal is disabled");
  MedicalTerminal registered{.terminal_id = terminal->id,
                             .org_id = std::string(org_id),
                             .role = role,
                             .clinician_id = std::string(clinician_id),
                             .updated_at = impl.clock.Now()};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        if (role == TerminalRole::kDesk) {
          CITYCODE_RETURN_IF_ERROR(
              LoadOwned(tx, kClinicianSelect, clinician_id, org_id, "clinician").status());
        }
        const store::Value params[] = {Text(registered.terminal_id), Text(registered.org_id),
                                       Text(TerminalRoleName(role)), OptionalText(clinician_id),
                                       Time(registered.updated_at)};
        return tx
            .Execute(
                "INSERT INTO medical_terminals (terminal_id, org_id, role, clinician_id, "
                "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (terminal_id) DO UPDATE SET "
                "role = excluded.role, clinician_id = excluded.clinician_id, "
                "updated_at = excluded.updated_at",
                params)
            .status();
      }));
  return registered;
}

Result<std::vector<MedicalTerminal>> MedicalScene::ListTerminals(std::string_view org_id) {
  CITYCODE_RETURN_IF_ERROR(impl_->RequireHospital(org_id));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kTerminalSelect) + " WHERE org_id = ? ORDER BY terminal_id", params));
  std::vector<MedicalTerminal> out;
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(MedicalTerminal terminal, TerminalFromRow(row));
    out.push_back(std::move(terminal));
  }
  return out;
}

Result<std::vector<platform::Organisation>> MedicalScene::ListHospitals() {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<platform::Organisation> orgs,
                            impl_->platform.organisations().List());
  std::erase_if(orgs, [](const platform::Organisation& org) {
    return org.kind != platform::OrgKind::kHospital;
  });
  return orgs;
}

Result<std::vector<Slot>> MedicalScene::ListOpenSlots(const Principal& caller,
                                                      std::string_view org_id,
                                                      std::string_view day) {
  Impl& impl = *impl_;
  if (caller.role != Role::kCitizen) {
    CITYCODE_RETURN_IF_ERROR(RequireMedicalTerminal(caller));
    if (caller.org_id != org_id) {
      return PermissionDenied("a terminal sees its own hospital's slots only",
                              "slot_of_another_hospital");
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(std::chrono::sys_days local_day, ParseIsoDay(day));
  CITYCODE_RETURN_IF_ERROR(impl.RequireHospital(org_id));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id), Text(FormatIsoDay(local_day))};
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<Slot> slots,
      QuerySlots(*tx, "WHERE s.org_id = ? AND s.day = ? ORDER BY s.starts_at, c.name, s.id",
                 params));
  const Instant now = impl.clock.Now();
  std::erase_if(slots, [&](const Slot& slot) { return slot.stopped || !impl.IsOpen(slot, now); });
  return slots;
}

// --- registration ---

Result<Appointment> MedicalScene::BookOnline(std::string_view citizen_id,
                                             std::string_view slot_id) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(Slot slot, impl.LoadBookableSlot(slot_id, nullptr));
  // No-shows block online booking only: at the hospital's kiosk the patient
  // is there.
  CITYCODE_ASSIGN_OR_RETURN(BookingStatus standing, CitizenBookingStatus(citizen_id));
  if (standing.blocked_until) {
    return FailedPrecondition(
        "online booking is blocked after no-shows until " + FormatRfc3339(*standing.blocked_until),
        "booking_blocked");
  }
  // Registration is real-name (实名挂号).
  CITYCODE_RETURN_IF_ERROR(impl.platform.identities().Verified(citizen_id).status());
  return impl.Book({.citizen_id = std::string(citizen_id), .channel = BookingChannel::kOnline},
                   std::move(slot), nullptr);
}

Result<Appointment> MedicalScene::BookAtTerminal(const Principal& terminal,
                                                 std::string_view qr_text, std::string_view slot_id,
                                                 std::string_view booking_identifier) {
  std::promise<Result<Appointment>> outcome;
  std::future<Result<Appointment>> booked = outcome.get_future();
  BookAtTerminalThen(terminal, qr_text, slot_id, booking_identifier,
                     [&outcome](Result<Appointment> r) { outcome.set_value(std::move(r)); });
  return booked.get();
}

void MedicalScene::BookAtTerminalThen(const Principal& terminal, std::string_view qr_text,
                                      std::string_view slot_id, std::string_view booking_identifier,
                                      std::function<void(Result<Appointment>)> done) {
  Impl& impl = *impl_;
  if (booking_identifier.size() > kMaxBookingIdentifier) {
    return done(InvalidArgument("a booking identifier is at most 256 bytes"));
  }
  auto checked = impl.platform.verification().Check(terminal, qr_text);
  if (!checked.ok()) return done(checked.status());
  // The unit may run more than once; the callback reads its last run.
  auto run = std::make_shared<KioskBooking>();
  impl.bookings->Submit(
      [&impl, terminal, checked = *std::move(checked), slot_id = std::string(slot_id),
       identifier = std::string(booking_identifier), run](store::Transaction& tx) -> Status {
        *run = KioskBooking{};
        return impl.BookAtTerminalIn(tx, terminal, checked, slot_id, identifier, *run);
      },
      [run, done = std::move(done)](Status committed) {
        if (!committed.ok()) return done(committed);
        if (!run->refused.ok()) return done(run->refused);
        done(std::move(run->booked));
      });
}

Result<std::vector<Appointment>> MedicalScene::CitizenAppointments(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  return QueryAppointments(
      *tx, "WHERE a.citizen_id = ? ORDER BY s.starts_at DESC, a.booked_at, a.id", params);
}

Result<Appointment> MedicalScene::CancelAppointment(std::string_view citizen_id,
                                                    std::string_view appointment_id) {
  const store::Value mine[] = {Text(appointment_id), Text(citizen_id)};
  return impl_->Cancel("WHERE a.id = ? AND a.citizen_id = ?", mine);
}

Result<Appointment> MedicalScene::CancelAtHospital(const Principal& terminal,
                                                   std::string_view appointment_id) {
  CITYCODE_RETURN_IF_ERROR(
      impl_->RequireRole(terminal, {TerminalRole::kKiosk, TerminalRole::kDesk}, NotAKiosk())
          .status());
  const store::Value ours[] = {Text(appointment_id), Text(terminal.org_id)};
  return impl_->Cancel("WHERE a.id = ? AND a.org_id = ?", ours);
}

Result<std::vector<std::string>> MedicalScene::EraseCitizen(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Appointment> appointments, CitizenAppointments(citizen_id));
  const Instant now = impl_->clock.Now();
  for (const Appointment& appointment : appointments) {
    if (appointment.state != AppointmentState::kBooked || appointment.slot.starts_at <= now) {
      continue;
    }
    Status cancelled = CancelAppointment(citizen_id, appointment.id).status();
    // A visit under way stays: it is the hospital's record.
    if (!cancelled.ok() && cancelled.reason() != "already_checked_in") return cancelled;
  }
  return std::vector<std::string>{
      "medical: appointments (挂号) — the hospitals' registration records, part of the "
      "outpatient record they must keep; they hold the account's id, no name or ID number; "
      "bookings not yet due were cancelled, their places freed and their fees refunded; visits "
      "(就诊) and prescriptions, the outpatient record itself, with their summaries and drugs; "
      "the bill's postings (fees, refunds, prescriptions), the hospitals' accounting records"};
}

// --- visits (就诊) and medicine pick-up (取药) ---

namespace {

constexpr std::size_t kMaxSummary = 2000;
constexpr std::size_t kMaxDrug = 64;
constexpr std::size_t kMaxItems = 20;
constexpr std::size_t kMaxPrescriptions = 10;
constexpr std::int64_t kMaxQuantity = 1000;
constexpr int kMaxValidDays = 3;

Status CheckPrescriptions(std::span<const PrescriptionRequest> requests) {
  if (requests.size() > kMaxPrescriptions) {
    return InvalidArgument("at most 10 prescriptions a visit");
  }
  for (const PrescriptionRequest& request : requests) {
    if (request.items.empty() || request.items.size() > kMaxItems) {
      return InvalidArgument("a prescription has 1-20 items");
    }
    for (const PrescriptionItem& item : request.items) {
      CITYCODE_RETURN_IF_ERROR(api::CheckText(item.drug, kMaxDrug, "a drug's name"));
      if (item.quantity < 1 || item.quantity > kMaxQuantity) {
        return InvalidArgument("quantity must be 1-1000");
      }
      if (item.unit_price_fen < 0 || item.unit_price_fen > kMaxFeeFen) {
        return InvalidArgument("unit_price_fen must be 0-10000000");
      }
    }
  }
  return OkStatus();
}

Status CheckSummary(std::string_view summary) {
  const bool clean = std::none_of(summary.begin(), summary.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\n') || byte == 0x7f;
  });
  if (summary.empty() || summary.size() > kMaxSummary || !clean) {
    return InvalidArgument("a summary is 1-2000 bytes of text");
  }
  return OkStatus();
}

Status EncounterClosed() {
  return FailedPrecondition("the encounter is closed", "encounter_closed");
}

Status AlreadyDispensed(const Prescription& p) {
  return FailedPrecondition("the prescription was dispensed at " +
                                FormatRfc3339(p.dispensed_at.value_or(Instant{})) +
                                " by terminal " + p.dispensed_by,
                            "already_dispensed");
}

// Everything about the prescription that refuses a pick-up at `pharmacy`
// before the code is used.
Status CheckDispensable(const Prescription& p, const Principal& pharmacy, Instant now) {
  if (p.org_id != pharmacy.org_id) {
    return PermissionDenied("the prescription is another hospital's",
                            "prescription_of_another_hospital");
  }
  if (p.dispensed_at) return AlreadyDispensed(p);
  if (now >= p.valid_until) {
    return FailedPrecondition("the prescription's validity has ended", "prescription_expired");
  }
  return OkStatus();
}

// The patient's earliest booked appointment of `day` at the hospital that
// is not checked in yet; nullopt when they have none booked that day,
// already_checked_in when each is.
// The patient's earliest booked appointment of `day` at the hospital not
// checked in yet (or `only` that one, when named).
Result<std::optional<Appointment>> NextAppointmentToday(store::Transaction& tx,
                                                        std::string_view org_id,
                                                        std::string_view citizen_id,
                                                        std::string_view day,
                                                        std::string_view only = {}) {
  const store::Value mine[] = {Text(org_id), Text(citizen_id), Text(day), Text(only), Text(only)};
  CITYCODE_ASSIGN_OR_RETURN(
      std::vector<Appointment> today,
      QueryAppointments(tx,
                        "WHERE a.org_id = ? AND a.citizen_id = ? AND a.state = 'booked' "
                        "AND a.no_show_at IS NULL AND s.day = ? AND (? = '' OR a.id = ?) "
                        "ORDER BY s.starts_at, a.id",
                        mine));
  if (today.empty()) return std::optional<Appointment>();
  for (Appointment& appointment : today) {
    const store::Value id[] = {Text(appointment.id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto seen,
        tx.QueryOptional("SELECT id FROM medical_encounters WHERE appointment_id = ?", id));
    if (!seen) return std::optional<Appointment>(std::move(appointment));
  }
  return AlreadyCheckedIn();
}

// Why the named appointment is not checked in by this code: another
// patient's, or not booked for today.
Status NamedNotToday(store::Transaction& tx, std::string_view appointment_id,
                     const platform::OnlineVerification& verification) {
  const store::Value id[] = {Text(appointment_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT citizen_id FROM medical_appointments WHERE id = ?", id));
  if (row && row->Text(0) != verification.citizen_id) {
    return PermissionDenied("the code is not the appointment's patient's", "not_the_patient");
  }
  return FailedPrecondition("the appointment is not booked for today", "no_appointment_today");
}

Status InsertEncounter(store::Transaction& tx, const Encounter& e,
                       std::string_view verification_id) {
  const store::Value row[] = {
      Text(e.id),         Text(e.appointment_id), Text(e.org_id),        Text(e.clinician_id),
      Text(e.citizen_id), Text(e.terminal_id),    Text(verification_id), Time(e.opened_at)};
  auto inserted = tx.Execute(
      "INSERT INTO medical_encounters (id, appointment_id, org_id, clinician_id, "
      "citizen_id, terminal_id, verification_id, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      row);
  // A concurrent check-in of the same appointment.
  if (inserted.status().code() == StatusCode::kAlreadyExists) return AlreadyCheckedIn();
  return inserted.status();
}

}  // namespace

Result<Encounter> MedicalScene::CheckIn(const Principal& desk, std::string_view qr_text,
                                        bool walk_in, std::string_view appointment_id) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(MedicalTerminal registered,
                            impl.RequireRole(desk, {TerminalRole::kDesk}, NotADesk()));
  if (!appointment_id.empty()) {
    // Named: the hospital's, read before the code is used.
    CITYCODE_RETURN_IF_ERROR(HospitalAppointment(desk.org_id, appointment_id).status());
  }
  CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                            impl.vault.VerifyForAction(desk, qr_text));
  // A walk-in books, and booking is real-name; used only if the patient has
  // no appointment today.
  const Status identity =
      walk_in && !verification.identity_verified ? platform::IdentityNotVerified() : OkStatus();
  Encounter encounter;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const Instant now = impl.clock.Now();
        CITYCODE_ASSIGN_OR_RETURN(
            std::optional<Appointment> next,
            NextAppointmentToday(tx, desk.org_id, verification.citizen_id,
                                 FormatIsoDay(impl.time.LocalDay(now)), appointment_id));
        if (!next && !appointment_id.empty())
          return NamedNotToday(tx, appointment_id, verification);
        if (!next) {
          if (!walk_in) {
            return FailedPrecondition("the patient has no appointment here today",
                                      "no_appointment_today");
          }
          CITYCODE_RETURN_IF_ERROR(identity);
          CITYCODE_ASSIGN_OR_RETURN(next, impl.BookWalkIn(tx, registered, verification, now));
        }
        encounter = Encounter{.id = crypto::RandomId("enc"),
                              .appointment_id = next->id,
                              .org_id = desk.org_id,
                              .clinician_id = next->slot.clinician_id,
                              .citizen_id = verification.citizen_id,
                              .terminal_id = desk.terminal_id,
                              .opened_at = now};
        return InsertEncounter(tx, encounter, verification.verification_id);
      }));
  return encounter;
}

Result<std::vector<Prescription>> MedicalScene::CloseEncounter(
    const Principal& desk, std::string_view encounter_id, std::string_view summary,
    std::span<const PrescriptionRequest> requests, int valid_days) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(impl.RequireRole(desk, {TerminalRole::kDesk}, NotADesk()).status());
  CITYCODE_RETURN_IF_ERROR(CheckSummary(summary));
  CITYCODE_RETURN_IF_ERROR(CheckPrescriptions(requests));
  if (valid_days < 1 || valid_days > kMaxValidDays) {
    return InvalidArgument("valid_days must be 1-3");
  }
  std::vector<Prescription> made;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        made.clear();
        const Instant now = impl.clock.Now();
        const store::Value id[] = {Text(encounter_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto row, tx.QueryOptional(std::string(kEncounterSelect) + " WHERE id = ?", id));
        // Another hospital's encounter is unknown here.
        if (!row || row->Text(2) != desk.org_id) return NotFound("no such encounter");
        const Encounter encounter = EncounterFromRow(*row);
        if (encounter.terminal_id != desk.terminal_id) {
          return PermissionDenied("the encounter was opened at another desk",
                                  "encounter_of_another_desk");
        }
        if (encounter.closed_at) return EncounterClosed();
        CITYCODE_ASSIGN_OR_RETURN(std::string record,
                                  impl.IssueVisitSummary(tx, encounter, summary, now));
        const store::Value close[] = {Time(now), Text(record), Text(encounter.id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto closed,
            tx.Execute("UPDATE medical_encounters SET closed_at = ?, record_identifier = ? "
                       "WHERE id = ? AND closed_at IS NULL",
                       close));
        if (closed != 1) return EncounterClosed();
        const Instant valid_until =
            impl.time.StartOf(impl.time.LocalDay(now) + std::chrono::days(valid_days));
        for (const PrescriptionRequest& request : requests) {
          Prescription p{.id = crypto::RandomId("rx"),
                         .encounter_id = encounter.id,
                         .org_id = encounter.org_id,
                         .citizen_id = encounter.citizen_id,
                         .items = request.items,
                         .issued_at = now,
                         .valid_until = valid_until};
          for (const PrescriptionItem& item : p.items) {
            p.total_fen += item.quantity * item.unit_price_fen;
          }
          const store::Value params[] = {
              Text(p.id),       Text(p.encounter_id), Text(p.org_id),     Text(p.citizen_id),
              Int(p.total_fen), Time(p.issued_at),    Time(p.valid_until)};
          CITYCODE_RETURN_IF_ERROR(
              tx.Execute("INSERT INTO medical_prescriptions (id, encounter_id, org_id, "
                         "citizen_id, total_fen, issued_at, valid_until) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         params)
                  .status());
          std::int64_t position = 0;
          for (const PrescriptionItem& item : p.items) {
            const store::Value line[] = {Text(p.id), Int(position++), Text(item.drug),
                                         Int(item.quantity), Int(item.unit_price_fen)};
            CITYCODE_RETURN_IF_ERROR(
                tx.Execute("INSERT INTO medical_prescription_items (prescription_id, position, "
                           "drug, quantity, unit_price_fen) VALUES (?, ?, ?, ?, ?)",
                           line)
                    .status());
          }
          made.push_back(std::move(p));
        }
        return OkStatus();
      }));
  return made;
}

Result<std::string> MedicalScene::ActFor(std::string_view guardian_id,
                                         std::string_view dependant_id) {
  return impl_->vault.ActFor(guardian_id, dependant_id);
}

Status MedicalScene::IssueRecordNow(std::string_view org_id, std::string_view citizen_id,
                                    const vault::RecordRequest& record) {
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        return impl_->vault.IssueRecord(tx, org_id, citizen_id, record).status();
      });
}

Result<std::vector<vault::SignedCertificate>> MedicalScene::CitizenRecords(
    std::string_view citizen_id) {
  return impl_->vault.HealthRecords(citizen_id);
}

Result<vault::Release> MedicalScene::ReadRecords(const Principal& desk,
                                                 std::string_view encounter_id,
                                                 std::string_view use_cause) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(impl.RequireRole(desk, {TerminalRole::kDesk}, NotADesk()).status());
  std::string patient;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    const store::Value id[] = {Text(encounter_id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto row, tx->QueryOptional(std::string(kEncounterSelect) + " WHERE id = ?", id));
    // Another hospital's encounter is unknown here.
    if (!row || row->Text(2) != desk.org_id) return NotFound("no such encounter");
    patient = row->Text(4);
  }
  std::vector<std::string> health_types;
  for (const vault::CertificateType& type : vault::SeededCertificateTypes()) {
    if (type.health) health_types.push_back(type.code);
  }
  return impl.vault.Fetch(
      desk,
      {.type_codes = health_types, .use_cause = std::string(use_cause), .citizen_id = patient});
}

Result<std::vector<Encounter>> MedicalScene::CitizenEncounters(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kEncounterSelect) + " WHERE citizen_id = ? ORDER BY opened_at DESC, id",
                params));
  std::vector<Encounter> out;
  for (const store::Row& row : rows) out.push_back(EncounterFromRow(row));
  return out;
}

Result<std::vector<Prescription>> MedicalScene::CitizenPrescriptions(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  return QueryPrescriptions(*tx, "WHERE citizen_id = ? ORDER BY issued_at DESC, id", params);
}

Result<Prescription> MedicalScene::Dispense(const Principal& pharmacy, std::string_view qr_text,
                                            std::string_view prescription_id) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(
      impl.RequireRole(pharmacy, {TerminalRole::kPharmacy}, NotAPharmacy()).status());
  // The prescription first: a pick-up that cannot succeed does not use up
  // the code.
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(Prescription p, LoadPrescription(*tx, prescription_id));
    CITYCODE_RETURN_IF_ERROR(CheckDispensable(p, pharmacy, impl.clock.Now()));
  }
  CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                            impl.vault.VerifyForAction(pharmacy, qr_text));
  Prescription dispensed;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const Instant now = impl.clock.Now();
        CITYCODE_ASSIGN_OR_RETURN(dispensed, LoadPrescription(tx, prescription_id));
        CITYCODE_RETURN_IF_ERROR(CheckDispensable(dispensed, pharmacy, now));
        if (dispensed.citizen_id != verification.citizen_id) {
          return PermissionDenied("the code is not the prescription's patient's",
                                  "not_the_patient");
        }
        const std::string day = FormatIsoDay(impl.time.LocalDay(now));
        // The number: the counter's row lock (PostgreSQL) or the write lock
        // (SQLite) orders concurrent pharmacies; a refused pick-up rolls it
        // back.
        const store::Value counter[] = {Text(pharmacy.org_id), Text(day)};
        CITYCODE_ASSIGN_OR_RETURN(
            store::Row next,
            tx.QueryOne("INSERT INTO medical_pharmacy_counters (org_id, day, next) "
                        "VALUES (?, ?, 1) ON CONFLICT (org_id, day) DO UPDATE SET "
                        "next = medical_pharmacy_counters.next + 1 RETURNING next",
                        counter));
        // Exactly once: only the update that finds it undispensed changes it.
        const store::Value take[] = {
            Time(now), Text(pharmacy.terminal_id), Text(verification.verification_id),
            Text(day), Int(next.Int(0)),           Text(dispensed.id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto taken,
            tx.Execute("UPDATE medical_prescriptions SET dispensed_at = ?, dispensed_by = ?, "
                       "verification_id = ?, queue_day = ?, queue_number = ? "
                       "WHERE id = ? AND dispensed_at IS NULL",
                       take));
        if (taken != 1) {
          CITYCODE_ASSIGN_OR_RETURN(Prescription now_dispensed,
                                    LoadPrescription(tx, prescription_id));
          return AlreadyDispensed(now_dispensed);
        }
        dispensed.dispensed_at = now;
        dispensed.dispensed_by = pharmacy.terminal_id;
        dispensed.queue_number = next.Int(0);
        return internal::PostPrescription(tx, impl.PostingAt(now), dispensed.id,
                                          dispensed.citizen_id, dispensed.org_id,
                                          dispensed.total_fen);
      }));
  return dispensed;
}

// --- schedule stops (停诊) and no-shows ---

namespace {

constexpr std::size_t kMaxStopReason = 200;

constexpr std::string_view kNoticeSelect =
    "SELECT n.id, n.kind, n.appointment_id, n.schedule_id, n.org_id, o.name, c.name, d.name, "
    "s.starts_at, n.reason, n.refund_fen, n.created_at FROM medical_notices n "
    "JOIN organisations o ON o.id = n.org_id "
    "JOIN medical_appointments a ON a.id = n.appointment_id "
    "JOIN medical_slots s ON s.id = a.slot_id "
    "JOIN medical_schedules h ON h.id = n.schedule_id "
    "JOIN medical_clinicians c ON c.id = h.clinician_id "
    "JOIN medical_departments d ON d.id = h.department_id";

Notice NoticeFromRow(const store::Row& row) {
  return {.id = row.Text(0),
          .kind = row.Text(1),
          .appointment_id = row.Text(2),
          .schedule_id = row.Text(3),
          .org_id = row.Text(4),
          .org_name = row.Text(5),
          .clinician_name = row.Text(6),
          .department_name = row.Text(7),
          .slot_starts_at = FromUnixSeconds(row.Int(8)),
          .reason = row.Text(9),
          .refund_fen = row.Int(10),
          .created_at = FromUnixSeconds(row.Int(11))};
}

}  // namespace

Result<ScheduleStop> MedicalScene::StopSchedule(std::string_view org_id,
                                                std::string_view schedule_id,
                                                std::string_view reason) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(api::CheckText(reason, kMaxStopReason, "a reason"));
  CITYCODE_RETURN_IF_ERROR(impl.RequireHospital(org_id));
  ScheduleStop stop;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const Instant now = impl.clock.Now();
        stop = ScheduleStop{.schedule_id = std::string(schedule_id),
                            .stopped_at = now,
                            .reason = std::string(reason)};
        const store::Value id[] = {Text(schedule_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto row,
            tx.QueryOptional(
                "SELECT org_id, stopped_at, ends_at FROM medical_schedules WHERE id = ?", id));
        if (!row) return NotFound("no such schedule");
        if (row->Text(0) != org_id) {
          return PermissionDenied("the schedule is another hospital's",
                                  "schedule_of_another_hospital");
        }
        if (row->OptionalInt(1)) return Impl::ScheduleStopped();
        if (now >= FromUnixSeconds(row->Int(2))) {
          return FailedPrecondition("the session has ended", "schedule_ended");
        }
        // Conditional, so that of two concurrent stops one finds it stopped.
        const store::Value mark[] = {Time(now), Text(reason), Text(schedule_id)};
        CITYCODE_ASSIGN_OR_RETURN(auto marked,
                                  tx.Execute("UPDATE medical_schedules SET stopped_at = ?, "
                                             "stop_reason = ? WHERE id = ? AND stopped_at IS NULL",
                                             mark));
        if (marked != 1) return Impl::ScheduleStopped();
        // Booked and not checked in: a visit under way stays. By patient, so
        // that transactions posting for several patients lock their accounts
        // in one order.
        CITYCODE_ASSIGN_OR_RETURN(
            auto booked,
            tx.Query("SELECT a.id, a.citizen_id, a.slot_id FROM medical_appointments a "
                     "WHERE a.schedule_id = ? AND a.state = 'booked' AND a.no_show_at IS NULL "
                     "AND NOT EXISTS (SELECT 1 FROM medical_encounters e WHERE "
                     "e.appointment_id = a.id) ORDER BY a.citizen_id, a.id",
                     id));
        for (const store::Row& a : booked) {
          const store::Value cancel[] = {Time(now), Text(a.Text(0))};
          CITYCODE_ASSIGN_OR_RETURN(
              auto cancelled,
              tx.Execute("UPDATE medical_appointments SET state = 'cancelled', cancel_cause = "
                         "'schedule_stopped', cancelled_at = ? WHERE id = ? AND state = 'booked'",
                         cancel));
          if (cancelled != 1) return Internal("a booked appointment changed during a stop");
          const store::Value slot[] = {Text(a.Text(2))};
          CITYCODE_ASSIGN_OR_RETURN(
              auto freed,
              tx.Execute("UPDATE medical_slots SET booked = booked - 1 WHERE id = ? AND booked > 0",
                         slot));
          if (freed != 1) return Internal("a booked appointment's slot has no place booked");
          // The notice tells the refund booked: the fee that was charged.
          CITYCODE_ASSIGN_OR_RETURN(std::int64_t refund, internal::PostRegistrationRefund(
                                                             tx, impl.PostingAt(now), a.Text(0)));
          const store::Value notice[] = {Text(crypto::RandomId("ntc")),
                                         Text(a.Text(1)),
                                         Text(a.Text(0)),
                                         Text(schedule_id),
                                         Text(org_id),
                                         Text(reason),
                                         Int(refund),
                                         Time(now)};
          CITYCODE_RETURN_IF_ERROR(
              tx.Execute("INSERT INTO medical_notices (id, citizen_id, kind, appointment_id, "
                         "schedule_id, org_id, reason, refund_fen, created_at) "
                         "VALUES (?, ?, 'schedule_stopped', ?, ?, ?, ?, ?, ?)",
                         notice)
                  .status());
          stop.appointments_stopped += 1;
          stop.refund_fen += refund;
        }
        return OkStatus();
      }));
  return stop;
}

Result<std::vector<Notice>> MedicalScene::CitizenNotices(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kNoticeSelect) + " WHERE n.citizen_id = ? ORDER BY n.created_at DESC, "
                                             "n.id",
                params));
  std::vector<Notice> out;
  for (const store::Row& row : rows) out.push_back(NoticeFromRow(row));
  return out;
}

Result<BookingStatus> MedicalScene::CitizenBookingStatus(std::string_view citizen_id) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
  const Instant now = impl.clock.Now();
  BookingStatus out{.limit = impl.options.no_show_limit,
                    .window_days = impl.options.no_show_window_days,
                    .block_days = impl.options.no_show_block_days};
  CITYCODE_ASSIGN_OR_RETURN(out.no_shows_in_window, impl.CountNoShows(*tx, citizen_id, now));
  CITYCODE_ASSIGN_OR_RETURN(auto block, impl.LastBlock(*tx, citizen_id));
  if (block.second && FromUnixSeconds(*block.second) > now) {
    out.blocked_until = FromUnixSeconds(*block.second);
  }
  return out;
}

Result<std::int64_t> MedicalScene::MarkNoShows() {
  Impl& impl = *impl_;
  std::int64_t marked = 0;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        marked = 0;
        const Instant now = impl.clock.Now();
        const store::Value ended[] = {Time(now)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto missed,
            tx.Query("SELECT a.id, a.citizen_id FROM medical_appointments a JOIN "
                     "medical_schedules h ON h.id = a.schedule_id WHERE a.state = 'booked' AND "
                     "a.no_show_at IS NULL AND h.ends_at <= ? AND NOT EXISTS (SELECT 1 FROM "
                     "medical_encounters e WHERE e.appointment_id = a.id) ORDER BY a.citizen_id, "
                     "a.id",
                     ended));
        std::vector<std::string> citizens;
        for (const store::Row& a : missed) {
          const store::Value mark[] = {Time(now), Text(a.Text(0))};
          CITYCODE_ASSIGN_OR_RETURN(
              auto changed, tx.Execute("UPDATE medical_appointments SET no_show_at = ? WHERE id = "
                                       "? AND state = 'booked' AND no_show_at IS NULL",
                                       mark));
          marked += changed;
          if (citizens.empty() || citizens.back() != a.Text(1)) citizens.push_back(a.Text(1));
        }
        if (impl.options.no_show_limit <= 0 || impl.options.no_show_block_days <= 0) {
          return OkStatus();
        }
        for (const std::string& citizen : citizens) {
          CITYCODE_ASSIGN_OR_RETURN(std::int64_t count, impl.CountNoShows(tx, citizen, now));
          if (count < impl.options.no_show_limit) continue;
          const store::Value block[] = {
              Text(crypto::RandomId("blk")), Text(citizen), Time(now),
              Time(now + std::chrono::days(impl.options.no_show_block_days))};
          CITYCODE_RETURN_IF_ERROR(
              tx.Execute("INSERT INTO medical_booking_blocks (id, citizen_id, blocked_at, "
                         "blocked_until) VALUES (?, ?, ?, ?)",
                         block)
                  .status());
        }
        return OkStatus();
      }));
  return marked;
}

Status MedicalScene::Upkeep() { return MarkNoShows().status(); }

// --- fees ---

Result<Bill> MedicalScene::CitizenBill(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  return internal::ReadBill(*tx, citizen_id);
}

Result<DayRevenue> MedicalScene::HospitalRevenue(std::string_view org_id, std::string_view day) {
  CITYCODE_ASSIGN_OR_RETURN(std::chrono::sys_days local_day, ParseIsoDay(day));
  CITYCODE_RETURN_IF_ERROR(impl_->RequireHospital(org_id));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  return internal::ReadDayRevenue(*tx, org_id, FormatIsoDay(local_day));
}

namespace {

constexpr int kMaxDaysAhead = 365;
constexpr int kMaxClosesMinutes = 24 * 60;

class MedicalModule final : public api::SceneModule {
 public:
  std::string_view name() const override { return "medical"; }
  code::Scene kind() const override { return code::Scene::kMedical; }
  int migration_block() const override { return 4000; }

  Status Configure(ConfigSection& section) override {
    CITYCODE_RETURN_IF_ERROR(section.Read("booking_days_ahead", options_.booking_days_ahead));
    if (options_.booking_days_ahead > kMaxDaysAhead) {
      return section.Invalid("booking_days_ahead", "0-365");
    }
    CITYCODE_RETURN_IF_ERROR(
        section.Read("booking_closes_minutes_before", options_.booking_closes_minutes_before));
    if (options_.booking_closes_minutes_before > kMaxClosesMinutes) {
      return section.Invalid("booking_closes_minutes_before", "0-1440");
    }
    CITYCODE_RETURN_IF_ERROR(section.Read("no_show_limit", options_.no_show_limit));
    if (options_.no_show_limit < 0 || options_.no_show_limit > 100) {
      return section.Invalid("no_show_limit", "0-100");
    }
    CITYCODE_RETURN_IF_ERROR(section.Read("no_show_window_days", options_.no_show_window_days));
    if (options_.no_show_window_days < 1 || options_.no_show_window_days > 3650) {
      return section.Invalid("no_show_window_days", "1-3650");
    }
    CITYCODE_RETURN_IF_ERROR(section.Read("no_show_block_days", options_.no_show_block_days));
    if (options_.no_show_block_days < 0 || options_.no_show_block_days > 3650) {
      return section.Invalid("no_show_block_days", "0-3650");
    }
    return OkStatus();
  }

  Result<std::unique_ptr<api::Scene>> Open(const api::SceneContext& context) override {
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<MedicalScene> scene,
                              MedicalScene::Open(context.db, context.clock, context.platform,
                                                 context.vault, context.time, options_));
    return std::unique_ptr<api::Scene>(std::move(scene));
  }

 private:
  MedicalOptions options_;
};

}  // namespace

std::unique_ptr<api::SceneModule> MakeMedicalModule() { return std::make_unique<MedicalModule>(); }

Result<nlohmann::json> MedicalScene::Dashboard(Instant since) {
  static constexpr std::string_view kNames[] = {"booked", "cancelled", "visits", "dispensed"};
  return api::CountsSince(impl_->db, R"sql(
SELECT (SELECT COUNT(*) FROM medical_appointments WHERE booked_at >= ?),
       (SELECT COUNT(*) FROM medical_appointments WHERE cancelled_at >= ?),
       (SELECT COUNT(*) FROM medical_encounters WHERE opened_at >= ?),
       (SELECT COUNT(*) FROM medical_prescriptions WHERE dispensed_at >= ?)
)sql",
                          since, kNames);
}

}  // namespace citycode::medical
