// The hotel scene's use cases. A check-in verifies each guest's code and
// fetches their ID card first (the codes are spent then, as at any
// counter), and writes the stay, its guests and their reports in one
// transaction, so a refused check-in stores and sends nothing.
#include "scenes/hotel/hotel.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "api/figures.h"
#include "api/route.h"
#include "crypto/random.h"
#include "vault/certificate.h"

namespace citycode::hotel {
namespace {

using nlohmann::json;
using platform::Principal;
using store::Int;
using store::Text;
using store::Time;

// Times are unix seconds. A guest's record is sealed (record_sealed, aad
// "hotel_guests.record:<id>"): it is personal data. A stay holds its room
// while in house (the partial unique index: one stay in house per room).
// hotel_count_reports remembers which hours' counts were made, once each.
const std::array<store::Migration, 1> kMigrations = {{
    {5001, "hotel", R"sql(
CREATE TABLE hotel_profiles (
  org_id TEXT PRIMARY KEY REFERENCES organisations(id),
  licence_number TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  counted_from BIGINT NOT NULL
);
CREATE TABLE hotel_rooms (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  number TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (org_id, number)
);
CREATE TABLE hotel_stays (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  room_id TEXT NOT NULL REFERENCES hotel_rooms(id),
  state TEXT NOT NULL CHECK (state IN ('in_house', 'checked_out', 'cancelled')),
  terminal_id TEXT NOT NULL REFERENCES terminals(id),
  checked_in_at BIGINT NOT NULL,
  ended_at BIGINT,
  cancel_reason TEXT
);
CREATE UNIQUE INDEX hotel_stays_room_in_house ON hotel_stays(room_id) WHERE state = 'in_house';
CREATE INDEX hotel_stays_org ON hotel_stays(org_id, checked_in_at);
CREATE TABLE hotel_guests (
  id TEXT PRIMARY KEY,
  stay_id TEXT NOT NULL REFERENCES hotel_stays(id),
  position BIGINT NOT NULL,
  citizen_id TEXT REFERENCES citizens(id),
  source TEXT NOT NULL CHECK (source IN ('code', 'guardian_code', 'hand')),
  entered_by TEXT,
  minor BIGINT NOT NULL,
  record_sealed BLOB NOT NULL,
  UNIQUE (stay_id, position)
);
CREATE TABLE hotel_room_changes (
  stay_id TEXT NOT NULL REFERENCES hotel_stays(id),
  from_room TEXT NOT NULL REFERENCES hotel_rooms(id),
  to_room TEXT NOT NULL REFERENCES hotel_rooms(id),
  changed_at BIGINT NOT NULL
);
CREATE TABLE hotel_count_reports (
  org_id TEXT NOT NULL REFERENCES organisations(id),
  hour_start BIGINT NOT NULL,
  arrivals BIGINT NOT NULL,
  in_house BIGINT NOT NULL,
  PRIMARY KEY (org_id, hour_start)
);
)sql"},
}};

constexpr std::string_view kIdCardType = "resident_id_card";
constexpr std::string_view kUseCause = "旅馆住宿登记 (hotel check-in)";
constexpr int kAdultAge = 18;
constexpr std::size_t kMaxRoomNumber = 16;
constexpr std::size_t kMaxLicence = 32;
constexpr std::size_t kMaxCodeBytes = 4096;
constexpr std::size_t kMaxCountHoursPerRound = 48;
// The guests of a hotel's stays that were not entered in error; the
// tourism counts add a time condition.
constexpr const char* kGuestsOfHotel =
    "SELECT CAST(COUNT(*) AS BIGINT) FROM hotel_guests g JOIN hotel_stays s ON s.id = g.stay_id "
    "WHERE s.org_id = ? AND s.state <> 'cancelled'";

Status NotAHotelTerminal() {
  return PermissionDenied("only a front desk of a hotel may do this", "not_a_hotel_terminal");
}

Status RequireHotelTerminal(const Principal& who) {
  if (who.role != platform::Role::kTerminal || who.scene != code::Scene::kHotel ||
      who.org_id.empty()) {
    return NotAHotelTerminal();
  }
  return OkStatus();
}

json RecordJson(const GuestRecord& r) {
  return {{"name", r.name},
          {"document_type", r.document_type},
          {"document_number", r.document_number},
          {"sex", r.sex},
          {"ethnicity", r.ethnicity},
          {"birth_date", r.birth_date},
          {"address", r.address},
          {"nationality", r.nationality}};
}

GuestRecord RecordFromJson(const json& j) {
  return {.name = j.value("name", ""),
          .document_type = j.value("document_type", ""),
          .document_number = j.value("document_number", ""),
          .sex = j.value("sex", ""),
          .ethnicity = j.value("ethnicity", ""),
          .birth_date = j.value("birth_date", ""),
          .address = j.value("address", ""),
          .nationality = j.value("nationality", "")};
}

std::string GuestAad(std::string_view guest_id) {
  return "hotel_guests.record:" + std::string(guest_id);
}

// Completed years between `birth_date` (YYYY-MM-DD) and `today`.
Result<int> AgeOn(std::string_view birth_date, std::chrono::sys_days today) {
  auto born = ParseIsoDay(birth_date);
  if (!born.ok()) return InvalidArgument("a birth date is YYYY-MM-DD");
  if (*born > today) return InvalidArgument("a birth date is a past calendar day");
  return YearsBetween(std::chrono::year_month_day(*born), std::chrono::year_month_day(today));
}

// A hand entry's record: every field the report needs, as text.
Status CheckHandRecord(const GuestRecord& r) {
  CITYCODE_RETURN_IF_ERROR(api::CheckText(r.name, 64, "a guest's name"));
  CITYCODE_RETURN_IF_ERROR(api::CheckText(r.document_type, 32, "a document type"));
  CITYCODE_RETURN_IF_ERROR(api::CheckText(r.document_number, 32, "a document number"));
  CITYCODE_RETURN_IF_ERROR(api::CheckText(r.sex, 8, "a guest's sex"));
  CITYCODE_RETURN_IF_ERROR(api::CheckText(r.nationality, 3, "a nationality (ISO 3166 alpha-3)"));
  if (!r.address.empty()) CITYCODE_RETURN_IF_ERROR(api::CheckText(r.address, 128, "an address"));
  return OkStatus();
}

// Why the vault served no ID card, as this scene says it.
Status NoIdCard(const std::vector<vault::MissingCertificate>& missing) {
  const std::string why = missing.empty() ? "not_held" : missing.front().reason;
  if (why == "identity_not_verified") {
    return FailedPrecondition("the guest's account has no verified identity",
                              "identity_not_verified");
  }
  if (why == "not_valid") {
    return FailedPrecondition("the guest's ID card is not valid", "id_card_not_valid");
  }
  if (why == "expired") {
    return FailedPrecondition("the guest's ID card has expired", "id_card_expired");
  }
  if (why == "name_mismatch") {
    return FailedPrecondition("the ID card names another person than the guest's account",
                              "id_card_name_mismatch");
  }
  if (why == "bad_signature") {
    return FailedPrecondition("the guest's ID card's signature does not verify",
                              "id_card_bad_signature");
  }
  return FailedPrecondition("the guest holds no ID card in the vault", "id_card_not_held");
}

std::string Field(const vault::Certificate& c, const std::string& key) {
  const auto found = c.fields.find(key);
  return found == c.fields.end() ? std::string() : found->second;
}

constexpr std::string_view kRoomSelect = "SELECT id, org_id, number, created_at FROM hotel_rooms";

// kRoomSelect's columns (first in the row).
Room RoomFromRow(const store::Row& row) {
  return {.id = row.Text(0),
          .org_id = row.Text(1),
          .number = row.Text(2),
          .created_at = FromUnixSeconds(row.Int(3))};
}

// failed_precondition "not_a_hotel" for an organisation of another kind.
Status RequireHotel(platform::Platform& platform, std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org, platform.organisations().Get(org_id));
  if (org.kind != platform::OrgKind::kHotel) {
    return FailedPrecondition("the organisation is not a hotel", "not_a_hotel");
  }
  return OkStatus();
}

// A guest checked in by a code, before the stay is written.
struct NewGuest {
  Guest guest;
  GuestRecord record;
  std::string citizen_id;  // none for a hand entry
};

constexpr std::string_view kStaySelect =
    "SELECT s.id, s.org_id, s.room_id, r.number, s.state, s.terminal_id, s.checked_in_at, "
    "s.ended_at FROM hotel_stays s JOIN hotel_rooms r ON r.id = s.room_id";

Result<StayState> StayStateFromName(std::string_view name) {
  for (StayState s : {StayState::kInHouse, StayState::kCheckedOut, StayState::kCancelled}) {
    if (StayStateName(s) == name) return s;
  }
  return Internal("unknown stay state in the store");
}

Result<GuestSource> SourceFromName(std::string_view name) {
  for (GuestSource s : {GuestSource::kCode, GuestSource::kGuardianCode, GuestSource::kHand}) {
    if (GuestSourceName(s) == name) return s;
  }
  return Internal("unknown guest source in the store");
}

}  // namespace

std::string_view GuestSourceName(GuestSource source) {
  switch (source) {
    case GuestSource::kCode: return "code";
    case GuestSource::kGuardianCode: return "guardian_code";
    case GuestSource::kHand: return "hand";
  }
  return "code";
}

std::string_view StayStateName(StayState state) {
  switch (state) {
    case StayState::kInHouse: return "in_house";
    case StayState::kCheckedOut: return "checked_out";
    case StayState::kCancelled: return "cancelled";
  }
  return "in_house";
}

struct HotelScene::Impl {
  store::Database& db;
  const Clock& clock;
  platform::Platform& platform;
  vault::Vault& vault;
  const platform::Keyring& keyring;
  outbox::Outbox* outbox;
  CityTime time;
  HotelOptions options;

  bool Reports(const std::string& destination) const {
    return outbox != nullptr && !destination.empty() && outbox->HasDestination(destination);
  }

  // The hotel's name and licence, for its reports; no_licence without one.
  Result<json> HotelJson(store::Transaction& tx, std::string_view org_id) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto row, tx.QueryOptional("SELECT p.licence_number, o.name FROM hotel_profiles p JOIN "
                                   "organisations o ON o.id = p.org_id WHERE p.org_id = ?",
                                   {Text(org_id)}));
    if (!row) {
      return FailedPrecondition("the hotel has no licence number registered", "no_licence");
    }
    return json{{"org_id", org_id}, {"name", row->Text(1)}, {"licence_number", row->Text(0)}};
  }

  // The police's report of a change to the stay, on its stream.
  Status Report(store::Transaction& tx, std::string_view stay_id, std::string type, json data) {
    if (!Reports(options.police_destination)) return OkStatus();
    return outbox
        ->Enqueue(tx, {.destination = options.police_destination,
                       .stream = std::string(stay_id),
                       .type = std::move(type),
                       .data = std::move(data)})
        .status();
  }

  // A guest shown by a code: verified for the action, their ID card
  // fetched under the presentation grant and checked.
  Result<NewGuest> GuestByCode(const Principal& desk, std::string_view qr_text) {
    if (qr_text.empty() || qr_text.size() > kMaxCodeBytes) {
      return InvalidArgument("a code is 1-4096 bytes of CC1: text");
    }
    CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                              vault.VerifyForAction(desk, qr_text));
    CITYCODE_ASSIGN_OR_RETURN(
        std::optional<vault::Grant> grant,
        vault.GrantPresentation(desk, verification.citizen_id, verification.verification_id,
                                {std::string(kIdCardType)}));
    if (!grant) {
      return FailedPrecondition("the hotel may not request ID cards from the vault",
                                "not_a_requester");
    }
    CITYCODE_ASSIGN_OR_RETURN(
        vault::Release release,
        vault.Fetch(desk, {.grant_id = grant->id, .use_cause = std::string(kUseCause)}));
    const auto card = std::find_if(
        release.certificates.begin(), release.certificates.end(),
        [](const vault::FetchedCertificate& f) { return f.signature_valid && f.in_validity; });
    if (card == release.certificates.end()) return NoIdCard(release.missing);
    const vault::Certificate& c = card->certificate.certificate;
    if (c.status != vault::CertificateStatus::kValid) return NoIdCard({{"", "not_valid"}});
    NewGuest out{.record = {.name = c.holder_name,
                            .document_type = std::string(kIdCardType),
                            .document_number = c.holder_id_number,
                            .sex = Field(c, "sex"),
                            .ethnicity = Field(c, "ethnicity"),
                            .birth_date = Field(c, "birth_date"),
                            .address = Field(c, "address")},
                 .citizen_id = verification.citizen_id};
    out.guest.source =
        verification.guardian_id.empty() ? GuestSource::kCode : GuestSource::kGuardianCode;
    out.guest.minor = platform::AgeInYears(c.holder_id_number, clock.Now()) < kAdultAge;
    return out;
  }

  Result<NewGuest> GuestByHand(const Principal& desk, const HandEntry& entry,
                               std::chrono::sys_days today) {
    if (desk.staff_id.empty()) {
      return PermissionDenied("a guest entered by hand needs the clerk signed in at the desk",
                              "staff_required");
    }
    CITYCODE_RETURN_IF_ERROR(CheckHandRecord(entry.record));
    CITYCODE_ASSIGN_OR_RETURN(int age, AgeOn(entry.record.birth_date, today));
    NewGuest out{.record = entry.record};
    out.guest.source = GuestSource::kHand;
    out.guest.minor = age < kAdultAge;
    out.guest.entered_by = desk.staff_id;
    return out;
  }

  Result<std::vector<NewGuest>> Party(const Principal& desk, const CheckInRequest& request) {
    const std::size_t count = request.codes.size() + request.by_hand.size();
    if (count == 0 || count > kMaxGuests) {
      return InvalidArgument("a check-in has 1-" + std::to_string(kMaxGuests) + " guests");
    }
    const auto today = time.LocalDay(clock.Now());
    // Hand entries first: they are refused without spending a code.
    std::vector<NewGuest> party;
    for (const HandEntry& entry : request.by_hand) {
      CITYCODE_ASSIGN_OR_RETURN(NewGuest guest, GuestByHand(desk, entry, today));
      party.push_back(std::move(guest));
    }
    for (const std::string& code : request.codes) {
      CITYCODE_ASSIGN_OR_RETURN(NewGuest guest, GuestByCode(desk, code));
      party.push_back(std::move(guest));
    }
    std::set<std::pair<std::string, std::string>> documents;
    for (const NewGuest& g : party) {
      if (!documents.emplace(g.record.document_type, g.record.document_number).second) {
        return AlreadyExists("one guest is in the party twice", "guest_twice");
      }
    }
    if (std::all_of(party.begin(), party.end(), [](const NewGuest& g) { return g.guest.minor; })) {
      return FailedPrecondition("a minor checks in only with an adult guest",
                                "minor_without_adult");
    }
    return party;
  }

  Result<Room> LoadRoom(store::Transaction& tx, std::string_view org_id, std::string_view room_id) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto row, tx.QueryOptional(std::string(kRoomSelect) + " WHERE id = ? AND org_id = ?",
                                   {Text(room_id), Text(org_id)}));
    if (!row) return NotFound("no such room");
    return RoomFromRow(*row);
  }

  Status CheckRoomFree(store::Transaction& tx, std::string_view room_id) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto taken,
        tx.QueryOptional("SELECT id FROM hotel_stays WHERE room_id = ? AND state = 'in_house'",
                         {Text(room_id)}));
    if (taken) return RoomOccupied();
    return OkStatus();
  }

  static Status RoomOccupied() {
    return AlreadyExists("the room has a stay in house", "room_occupied");
  }

  Status InsertGuest(store::Transaction& tx, std::string_view stay_id, std::size_t position,
                     const NewGuest& g) {
    const std::string plain = RecordJson(g.record).dump();
    const store::Value row[] = {
        Text(g.guest.id),
        Text(stay_id),
        Int(static_cast<std::int64_t>(position)),
        g.citizen_id.empty() ? store::Value(nullptr) : Text(g.citizen_id),
        Text(GuestSourceName(g.guest.source)),
        g.guest.entered_by.empty() ? store::Value(nullptr) : Text(g.guest.entered_by),
        Int(g.guest.minor ? 1 : 0),
        store::Blob(keyring.Seal(AsBytes(plain), GuestAad(g.guest.id)))};
    return tx
        .Execute(
            "INSERT INTO hotel_guests (id, stay_id, position, citizen_id, source, "
            "entered_by, minor, record_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row)
        .status();
  }

  Result<std::vector<Guest>> LoadGuests(store::Transaction& tx, std::string_view stay_id,
                                        std::vector<GuestRecord>* records = nullptr) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT id, source, entered_by, minor, record_sealed FROM hotel_guests "
                            "WHERE stay_id = ? ORDER BY position",
                            {Text(stay_id)}));
    std::vector<Guest> out;
    for (const store::Row& row : rows) {
      CITYCODE_ASSIGN_OR_RETURN(GuestSource source, SourceFromName(row.Text(1)));
      CITYCODE_ASSIGN_OR_RETURN(Bytes plain, keyring.Open(row.Blob(4), GuestAad(row.Text(0))));
      const json record = json::parse(AsChars(plain), nullptr, false);
      if (!record.is_object()) return Internal("a sealed guest record is not JSON");
      out.push_back({.id = row.Text(0),
                     .name = record.value("name", ""),
                     .source = source,
                     .minor = row.Int(3) != 0,
                     .entered_by = row.OptionalText(2).value_or("")});
      if (records != nullptr) records->push_back(RecordFromJson(record));
    }
    return out;
  }

  // The desk's hotel's stay (another hotel's is unknown).
  Result<Stay> LoadStay(store::Transaction& tx, std::string_view org_id, std::string_view stay_id) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto row, tx.QueryOptional(std::string(kStaySelect) + " WHERE s.id = ? AND s.org_id = ?",
                                   {Text(stay_id), Text(org_id)}));
    if (!row) return NotFound("no such stay");
    return StayFromRow(tx, *row);
  }

  Result<Stay> StayFromRow(store::Transaction& tx, const store::Row& row) {
    CITYCODE_ASSIGN_OR_RETURN(StayState state, StayStateFromName(row.Text(4)));
    Stay stay{.id = row.Text(0),
              .org_id = row.Text(1),
              .room_id = row.Text(2),
              .room_number = row.Text(3),
              .state = state,
              .terminal_id = row.Text(5),
              .checked_in_at = FromUnixSeconds(row.Int(6))};
    if (auto ended = row.OptionalInt(7)) stay.ended_at = FromUnixSeconds(*ended);
    CITYCODE_ASSIGN_OR_RETURN(stay.guests, LoadGuests(tx, stay.id));
    return stay;
  }

  // The outbox's events of the stay, as the desk sees them.
  Status FillReports(Stay& stay) {
    if (outbox == nullptr) return OkStatus();
    CITYCODE_ASSIGN_OR_RETURN(std::vector<outbox::EventSummary> events,
                              outbox->List({.stream = stay.id, .limit = 1000}));
    const Instant now = clock.Now();
    const auto deadline = std::chrono::hours(options.report_deadline_hours);
    stay.reports.clear();
    for (const outbox::EventSummary& e : events) {
      const bool delivered = e.state == outbox::EventState::kDelivered;
      stay.reports.push_back({.event_id = e.id,
                              .destination = e.destination,
                              .type = e.type,
                              .sequence = e.sequence,
                              .state = std::string(outbox::EventStateName(e.state)),
                              .attempts = e.attempts,
                              .last_error = e.last_error,
                              .occurred_at = e.occurred_at,
                              .overdue = !delivered && now - e.occurred_at > deadline});
    }
    return OkStatus();
  }

  // A change to an in-house stay of the desk's hotel, in one transaction
  // with its report: `change` updates the rows and says the report's data.
  template <typename Change>
  Result<Stay> ChangeStay(const Principal& desk, std::string_view stay_id, std::string type,
                          Change&& change) {
    CITYCODE_RETURN_IF_ERROR(RequireHotelTerminal(desk));
    Stay stay;
    CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
        db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
          CITYCODE_ASSIGN_OR_RETURN(stay, LoadStay(tx, desk.org_id, stay_id));
          if (stay.state != StayState::kInHouse) {
            return FailedPrecondition("the stay has ended", "stay_ended");
          }
          CITYCODE_ASSIGN_OR_RETURN(json hotel, HotelJson(tx, desk.org_id));
          const Instant now = clock.Now();
          CITYCODE_ASSIGN_OR_RETURN(json data, change(tx, stay, now));
          data["hotel"] = std::move(hotel);
          data["stay_id"] = stay.id;
          data["at"] = FormatRfc3339(now);
          data["guest_ids"] = json::array();
          for (const Guest& g : stay.guests) data["guest_ids"].push_back(g.id);
          return Report(tx, stay.id, type, std::move(data));
        }));
    CITYCODE_RETURN_IF_ERROR(FillReports(stay));
    return stay;
  }
};

HotelScene::HotelScene(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HotelScene::~HotelScene() = default;

Result<std::unique_ptr<HotelScene>> HotelScene::Open(
    store::Database& db, const Clock& clock, platform::Platform& platform, vault::Vault& vault,
    const platform::Keyring& keyring, outbox::Outbox* outbox, CityTime time, HotelOptions options) {
  if (options.report_deadline_hours < 1 || options.report_deadline_hours > 720) {
    return InvalidArgument("[hotel] report_deadline_hours must be 1-720");
  }
  CITYCODE_RETURN_IF_ERROR(db.Migrate(kMigrations));
  return std::unique_ptr<HotelScene>(new HotelScene(std::make_unique<Impl>(
      Impl{db, clock, platform, vault, keyring, outbox, time, std::move(options)})));
}

Status HotelScene::SetLicence(std::string_view org_id, std::string_view licence_number) {
  CITYCODE_RETURN_IF_ERROR(api::CheckText(licence_number, kMaxLicence, "a licence number"));
  CITYCODE_RETURN_IF_ERROR(RequireHotel(impl_->platform, org_id));
  const Instant now = impl_->clock.Now();
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        // Counts start at the hour the licence was first registered.
        const Instant hour = std::chrono::floor<std::chrono::hours>(now);
        return tx
            .Execute(
                "INSERT INTO hotel_profiles (org_id, licence_number, updated_at, "
                "counted_from) VALUES (?, ?, ?, ?) ON CONFLICT (org_id) DO UPDATE SET "
                "licence_number = excluded.licence_number, updated_at = excluded.updated_at",
                {Text(org_id), Text(licence_number), Time(now), Time(hour)})
            .status();
      });
}

Result<Room> HotelScene::AddRoom(std::string_view org_id, std::string_view number) {
  CITYCODE_RETURN_IF_ERROR(api::CheckText(number, kMaxRoomNumber, "a room number"));
  CITYCODE_RETURN_IF_ERROR(RequireHotel(impl_->platform, org_id));
  Room room{.id = crypto::RandomId("room"),
            .org_id = std::string(org_id),
            .number = std::string(number),
            .created_at = impl_->clock.Now()};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        auto inserted = tx.Execute(
            "INSERT INTO hotel_rooms (id, org_id, number, created_at) VALUES (?, ?, ?, ?)",
            {Text(room.id), Text(room.org_id), Text(room.number), Time(room.created_at)});
        if (inserted.status().code() == StatusCode::kAlreadyExists) {
          return AlreadyExists("the hotel has a room of that number", "room_exists");
        }
        return inserted.status();
      }));
  return room;
}

Result<std::vector<Room>> HotelScene::ListRooms(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kRoomSelect) + " WHERE org_id = ? ORDER BY number", {Text(org_id)}));
  std::vector<Room> rooms;
  for (const store::Row& row : rows) rooms.push_back(RoomFromRow(row));
  return rooms;
}

// Each room of a hotel with the stay in house in it, if any (the partial
// unique index allows one).
constexpr const char* kDeskRoomsSelect =
    "SELECT r.id, r.org_id, r.number, r.created_at, s.id FROM hotel_rooms r LEFT JOIN "
    "hotel_stays s ON s.room_id = r.id AND s.state = 'in_house' WHERE r.org_id = ? ORDER BY "
    "r.number";

Result<std::vector<DeskRoom>> HotelScene::DeskRooms(const Principal& desk) {
  CITYCODE_RETURN_IF_ERROR(RequireHotelTerminal(desk));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query(kDeskRoomsSelect, {Text(desk.org_id)}));
  std::vector<DeskRoom> rooms;
  for (const store::Row& row : rows) {
    rooms.push_back({.room = RoomFromRow(row), .stay_id = row.OptionalText(4).value_or("")});
  }
  return rooms;
}

Result<Stay> HotelScene::CheckIn(const Principal& desk, const CheckInRequest& request) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(RequireHotelTerminal(desk));
  // The room and the licence first, read: a check-in that cannot succeed
  // spends no code.
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_RETURN_IF_ERROR(impl.HotelJson(*tx, desk.org_id).status());
    CITYCODE_RETURN_IF_ERROR(impl.LoadRoom(*tx, desk.org_id, request.room_id).status());
    CITYCODE_RETURN_IF_ERROR(impl.CheckRoomFree(*tx, request.room_id));
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<NewGuest> party, impl.Party(desk, request));
  Stay stay{.id = crypto::RandomId("stay"),
            .org_id = desk.org_id,
            .room_id = request.room_id,
            .state = StayState::kInHouse,
            .terminal_id = desk.terminal_id};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(json hotel, impl.HotelJson(tx, desk.org_id));
        CITYCODE_ASSIGN_OR_RETURN(Room room, impl.LoadRoom(tx, desk.org_id, request.room_id));
        stay.room_number = room.number;
        stay.checked_in_at = impl.clock.Now();
        stay.guests.clear();
        auto inserted = tx.Execute(
            "INSERT INTO hotel_stays (id, org_id, room_id, state, terminal_id, checked_in_at) "
            "VALUES (?, ?, ?, 'in_house', ?, ?)",
            {Text(stay.id), Text(stay.org_id), Text(stay.room_id), Text(stay.terminal_id),
             Time(stay.checked_in_at)});
        if (inserted.status().code() == StatusCode::kAlreadyExists) return Impl::RoomOccupied();
        CITYCODE_RETURN_IF_ERROR(inserted.status());
        for (std::size_t i = 0; i < party.size(); ++i) {
          NewGuest& g = party[i];
          g.guest.id = crypto::RandomId("guest");
          g.guest.name = g.record.name;
          CITYCODE_RETURN_IF_ERROR(impl.InsertGuest(tx, stay.id, i, g));
          stay.guests.push_back(g.guest);
          json guest = RecordJson(g.record);
          guest["guest_id"] = g.guest.id;
          guest["minor"] = g.guest.minor;
          guest["source"] = GuestSourceName(g.guest.source);
          CITYCODE_RETURN_IF_ERROR(impl.Report(tx, stay.id, "hotel.guest.checked_in",
                                               {{"hotel", hotel},
                                                {"stay_id", stay.id},
                                                {"room", room.number},
                                                {"at", FormatRfc3339(stay.checked_in_at)},
                                                {"guest", guest}}));
        }
        return OkStatus();
      }));
  CITYCODE_RETURN_IF_ERROR(impl.FillReports(stay));
  return stay;
}

Result<Stay> HotelScene::ChangeRoom(const Principal& desk, std::string_view stay_id,
                                    std::string_view room_id) {
  Impl& impl = *impl_;
  return impl.ChangeStay(
      desk, stay_id, "hotel.stay.room_changed",
      [&](store::Transaction& tx, Stay& stay, Instant now) -> Result<json> {
        if (stay.room_id == room_id) {
          return FailedPrecondition("the stay is in that room already", "same_room");
        }
        CITYCODE_ASSIGN_OR_RETURN(Room to, impl.LoadRoom(tx, desk.org_id, room_id));
        CITYCODE_RETURN_IF_ERROR(impl.CheckRoomFree(tx, to.id));
        auto moved = tx.Execute("UPDATE hotel_stays SET room_id = ? WHERE id = ?",
                                {Text(to.id), Text(stay.id)});
        if (moved.status().code() == StatusCode::kAlreadyExists) return Impl::RoomOccupied();
        CITYCODE_RETURN_IF_ERROR(moved.status());
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO hotel_room_changes (stay_id, from_room, to_room, changed_at) "
                       "VALUES (?, ?, ?, ?)",
                       {Text(stay.id), Text(stay.room_id), Text(to.id), Time(now)})
                .status());
        json data = {{"from_room", stay.room_number}, {"room", to.number}};
        stay.room_id = to.id;
        stay.room_number = to.number;
        return data;
      });
}

Result<Stay> HotelScene::CheckOut(const Principal& desk, std::string_view stay_id) {
  return impl_->ChangeStay(
      desk, stay_id, "hotel.stay.checked_out",
      [](store::Transaction& tx, Stay& stay, Instant now) -> Result<json> {
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE hotel_stays SET state = 'checked_out', ended_at = ? WHERE id = ?",
                       {Time(now), Text(stay.id)})
                .status());
        stay.state = StayState::kCheckedOut;
        stay.ended_at = now;
        return json{{"room", stay.room_number}};
      });
}

Result<Stay> HotelScene::Cancel(const Principal& desk, std::string_view stay_id,
                                std::string_view reason) {
  CITYCODE_RETURN_IF_ERROR(api::CheckText(reason, 200, "a reason"));
  return impl_->ChangeStay(
      desk, stay_id, "hotel.stay.cancelled",
      [&](store::Transaction& tx, Stay& stay, Instant now) -> Result<json> {
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE hotel_stays SET state = 'cancelled', ended_at = ?, cancel_reason = "
                       "? WHERE id = ?",
                       {Time(now), Text(reason), Text(stay.id)})
                .status());
        stay.state = StayState::kCancelled;
        stay.ended_at = now;
        return json{{"room", stay.room_number}, {"reason", reason}};
      });
}

Result<Stay> HotelScene::GetStay(const Principal& desk, std::string_view stay_id) {
  CITYCODE_RETURN_IF_ERROR(RequireHotelTerminal(desk));
  Stay stay;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(stay, impl_->LoadStay(*tx, desk.org_id, stay_id));
  }
  CITYCODE_RETURN_IF_ERROR(impl_->FillReports(stay));
  return stay;
}

Result<std::vector<Stay>> HotelScene::ListStays(const Principal& desk, int days) {
  CITYCODE_RETURN_IF_ERROR(RequireHotelTerminal(desk));
  if (days < 1 || days > 31) return InvalidArgument("days must be 1-31");
  std::vector<Stay> stays;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
    const Instant since = impl_->clock.Now() - std::chrono::days(days);
    CITYCODE_ASSIGN_OR_RETURN(auto rows,
                              tx->Query(std::string(kStaySelect) +
                                            " WHERE s.org_id = ? AND s.checked_in_at >= ? ORDER BY "
                                            "s.checked_in_at DESC, s.id LIMIT 200",
                                        {Text(desk.org_id), Time(since)}));
    for (const store::Row& row : rows) {
      CITYCODE_ASSIGN_OR_RETURN(Stay stay, impl_->StayFromRow(*tx, row));
      stays.push_back(std::move(stay));
    }
  }
  for (Stay& stay : stays) CITYCODE_RETURN_IF_ERROR(impl_->FillReports(stay));
  return stays;
}

Result<std::vector<Feed>> HotelScene::Feeds(const Principal& desk) {
  CITYCODE_RETURN_IF_ERROR(RequireHotelTerminal(desk));
  std::vector<Feed> feeds;
  const Impl& impl = *impl_;
  std::vector<outbox::DestinationState> states;
  if (impl.outbox != nullptr) {
    CITYCODE_ASSIGN_OR_RETURN(states, impl.outbox->Destinations());
  }
  for (const std::string& name :
       {impl.options.police_destination, impl.options.tourism_destination}) {
    if (name.empty()) continue;
    Feed feed{.destination = name};
    for (const outbox::DestinationState& s : states) {
      if (s.name != name) continue;
      feed.configured = s.configured;
      feed.disabled_at = s.disabled_at;
      feed.pending = s.pending;
      feed.dead = s.dead;
    }
    feeds.push_back(std::move(feed));
  }
  return feeds;
}

Result<std::int64_t> HotelScene::ReportHourlyCounts() {
  Impl& impl = *impl_;
  if (!impl.Reports(impl.options.tourism_destination)) return 0;
  const Instant now = impl.clock.Now();
  std::vector<std::pair<std::string, Instant>> hotels;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(auto rows,
                              tx->Query("SELECT p.org_id, COALESCE((SELECT MAX(hour_start) FROM "
                                        "hotel_count_reports c WHERE c.org_id = p.org_id) + 3600, "
                                        "p.counted_from) FROM hotel_profiles p ORDER BY p.org_id"));
    for (const store::Row& row : rows)
      hotels.emplace_back(row.Text(0), FromUnixSeconds(row.Int(1)));
  }
  std::int64_t made = 0;
  for (const auto& [org_id, first] : hotels) {
    std::size_t hours = 0;
    for (Instant hour = first;
         hour + std::chrono::hours(1) <= now && hours < kMaxCountHoursPerRound;
         hour += std::chrono::hours(1), ++hours) {
      const std::string org = org_id;
      CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
          impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
            const Instant end = hour + std::chrono::hours(1);
            CITYCODE_ASSIGN_OR_RETURN(
                store::Row counts,
                tx.QueryOne(std::string("SELECT (") + kGuestsOfHotel +
                                " AND s.checked_in_at >= ? AND s.checked_in_at < ?), (" +
                                kGuestsOfHotel +
                                " AND s.checked_in_at < ? AND (s.ended_at IS NULL OR "
                                "s.ended_at >= ?))",
                            {Text(org), Time(hour), Time(end), Text(org), Time(end), Time(end)}));
            auto inserted = tx.Execute(
                "INSERT INTO hotel_count_reports (org_id, hour_start, arrivals, in_house) "
                "VALUES (?, ?, ?, ?)",
                {Text(org), Time(hour), Int(counts.Int(0)), Int(counts.Int(1))});
            // Another server made this hour's counts.
            if (inserted.status().code() == StatusCode::kAlreadyExists) return OkStatus();
            CITYCODE_RETURN_IF_ERROR(inserted.status());
            ++made;
            return impl.outbox
                ->Enqueue(tx, {.destination = impl.options.tourism_destination,
                               .stream = "counts-" + org,
                               .type = "hotel.counts.hourly",
                               .data = {{"org_id", org},
                                        {"hour_start", FormatRfc3339(hour)},
                                        {"hour_end", FormatRfc3339(end)},
                                        {"arrivals", counts.Int(0)},
                                        {"in_house", counts.Int(1)}},
                               .occurred_at = end})
                .status();
          }));
    }
  }
  return made;
}

Status HotelScene::Upkeep() { return ReportHourlyCounts().status(); }

}  // namespace citycode::hotel

namespace citycode::hotel {
namespace {

class HotelModule final : public api::SceneModule {
 public:
  std::string_view name() const override { return "hotel"; }
  code::Scene kind() const override { return code::Scene::kHotel; }
  int migration_block() const override { return 5000; }

  Status Configure(ConfigSection& section) override {
    CITYCODE_RETURN_IF_ERROR(section.Read("police_destination", options_.police_destination));
    CITYCODE_RETURN_IF_ERROR(section.Read("tourism_destination", options_.tourism_destination));
    CITYCODE_RETURN_IF_ERROR(section.Read("report_deadline_hours", options_.report_deadline_hours));
    if (options_.report_deadline_hours < 1 || options_.report_deadline_hours > 720) {
      return section.Invalid("report_deadline_hours", "1-720");
    }
    return OkStatus();
  }

  Result<std::unique_ptr<api::Scene>> Open(const api::SceneContext& context) override {
    CITYCODE_ASSIGN_OR_RETURN(
        std::unique_ptr<HotelScene> scene,
        HotelScene::Open(context.db, context.clock, context.platform, context.vault,
                         context.keyring, context.outbox, context.time, options_));
    return std::unique_ptr<api::Scene>(std::move(scene));
  }

 private:
  HotelOptions options_;
};

}  // namespace

std::unique_ptr<api::SceneModule> MakeHotelModule() { return std::make_unique<HotelModule>(); }

Result<nlohmann::json> HotelScene::Dashboard(Instant since) {
  static constexpr std::string_view kNames[] = {"check_ins", "check_outs", "in_house"};
  return api::CountsSince(impl_->db, R"sql(
SELECT (SELECT COUNT(*) FROM hotel_stays WHERE checked_in_at >= ?),
       (SELECT COUNT(*) FROM hotel_stays WHERE state = 'checked_out' AND ended_at >= ?),
       (SELECT COUNT(*) FROM hotel_stays WHERE state = 'in_house')
)sql",
                          since, kNames);
}

}  // namespace citycode::hotel
