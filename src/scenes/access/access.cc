// The access scene's setup and its citizens' side: sites, members, slots,
// bookings and visitor passes. The gates' side (lists, passages, walk-ins)
// is in access_gates.cc.
#include "scenes/access/access.h"

#include <array>
#include <chrono>
#include <utility>

#include "api/figures.h"
#include "api/route.h"
#include "code/visitor_pass.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "scenes/access/internal/core.h"

namespace citycode::access {
namespace {

using platform::Principal;
using store::Blob;
using store::Int;
using store::Text;
using store::Time;

// Times are unix seconds. A member's name is sealed (sealed_name, aad
// "access_members.name:<id>"). access_sites.change_seq counts changes of
// what the site's list holds; access_lists keeps the newest signed list and
// the change it was made at. access_list_entries keeps each entry with the
// versions that added and removed it, for deltas; removed ones are pruned a
// day later (delta_floor: the oldest version a delta may start from).
const std::array<store::Migration, 1> kMigrations = {{
    {6001, "access", R"sql(
CREATE TABLE access_sites (
  site_id TEXT PRIMARY KEY REFERENCES sites(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  policy TEXT NOT NULL CHECK (policy IN ('staff', 'reservations', 'residents')),
  opens TEXT NOT NULL,
  closes TEXT NOT NULL,
  anti_passback BIGINT NOT NULL,
  allow_cards BIGINT NOT NULL,
  configured_at BIGINT NOT NULL,
  change_seq BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE access_gates (
  terminal_id TEXT PRIMARY KEY REFERENCES terminals(id),
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out'))
);
CREATE TABLE access_members (
  id TEXT PRIMARY KEY,
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  household TEXT NOT NULL,
  sealed_name BLOB NOT NULL,
  added_at BIGINT NOT NULL,
  removed_at BIGINT
);
CREATE UNIQUE INDEX access_members_live ON access_members(site_id, citizen_id)
  WHERE removed_at IS NULL;
CREATE INDEX access_members_citizen ON access_members(citizen_id);
CREATE TABLE access_slots (
  id TEXT PRIMARY KEY,
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  capacity BIGINT NOT NULL,
  walk_in_quota BIGINT NOT NULL,
  booked BIGINT NOT NULL DEFAULT 0,
  walk_ins BIGINT NOT NULL DEFAULT 0,
  CHECK (booked >= 0 AND booked <= capacity AND walk_ins >= 0 AND walk_ins <= walk_in_quota)
);
CREATE INDEX access_slots_site ON access_slots(site_id, starts_at);
CREATE TABLE access_bookings (
  id TEXT PRIMARY KEY,
  slot_id TEXT NOT NULL REFERENCES access_slots(id),
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  day TEXT NOT NULL,
  walk_in BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  cancelled_at BIGINT
);
CREATE UNIQUE INDEX access_bookings_live ON access_bookings(slot_id, citizen_id)
  WHERE cancelled_at IS NULL;
CREATE INDEX access_bookings_citizen ON access_bookings(citizen_id, created_at);
CREATE TABLE access_booking_days (
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  day TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (site_id, citizen_id, day)
);
CREATE TABLE access_passes (
  id TEXT PRIMARY KEY,
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  resident_id TEXT NOT NULL REFERENCES citizens(id),
  printed BIGINT NOT NULL,
  claim_hash BLOB UNIQUE,
  visitor_id TEXT REFERENCES citizens(id),
  valid_from BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  entries BIGINT NOT NULL,
  used BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX access_passes_resident ON access_passes(resident_id, created_at);
CREATE INDEX access_passes_site ON access_passes(site_id, valid_until);
CREATE TABLE access_pass_uses (
  pass_id TEXT NOT NULL REFERENCES access_passes(id),
  terminal_id TEXT NOT NULL REFERENCES terminals(id),
  sequence BIGINT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (terminal_id, sequence)
);
CREATE INDEX access_pass_uses_pass ON access_pass_uses(pass_id, at);
CREATE TABLE access_lists (
  site_id TEXT PRIMARY KEY REFERENCES access_sites(site_id),
  version BIGINT NOT NULL,
  change_seq BIGINT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  document TEXT NOT NULL,
  delta_floor BIGINT NOT NULL
);
CREATE TABLE access_list_entries (
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  hash BLOB NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  entries BIGINT NOT NULL,
  added_version BIGINT NOT NULL,
  removed_version BIGINT,
  removed_at BIGINT
);
CREATE INDEX access_list_entries_hash ON access_list_entries(site_id, hash);
CREATE INDEX access_list_entries_live ON access_list_entries(site_id, added_version)
  WHERE removed_version IS NULL;
CREATE INDEX access_list_entries_removed ON access_list_entries(site_id, removed_version)
  WHERE removed_version IS NOT NULL;
CREATE TABLE access_passages (
  terminal_id TEXT NOT NULL REFERENCES terminals(id),
  sequence BIGINT NOT NULL,
  site_id TEXT NOT NULL REFERENCES access_sites(site_id),
  at BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('code', 'pass')),
  admitted BIGINT NOT NULL,
  reason TEXT NOT NULL,
  direction TEXT,
  citizen_id TEXT REFERENCES citizens(id),
  pass_id TEXT REFERENCES access_passes(id),
  received_at BIGINT NOT NULL,
  PRIMARY KEY (terminal_id, sequence)
);
CREATE INDEX access_passages_site ON access_passages(site_id, at);
CREATE INDEX access_passages_citizen ON access_passages(citizen_id, at);
)sql"},
}};

constexpr std::size_t kMaxHousehold = 64;
constexpr std::chrono::minutes kPassBackdate{5};  // a pass may start this long ago

// "HH:MM" from 00:00 to 24:00, as minutes of the day.
Result<int> MinutesOfDay(std::string_view text) {
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return InvalidArgument("opening hours are HH:MM", "bad_hours");
  }
  const int minutes =
      ((text[0] - '0') * 10 + (text[1] - '0')) * 60 + (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 24 * 60 || text[3] > '5')
    return InvalidArgument("opening hours are HH:MM", "bad_hours");
  return minutes;
}

Status RequirePolicy(const Site& site, Policy policy) {
  if (site.policy != policy) {
    return FailedPrecondition("the site's policy is " + std::string(PolicyName(site.policy)),
                              "wrong_policy");
  }
  return OkStatus();
}

Result<Slot> SlotOf(const store::Row& row) {
  return Slot{.id = row.Text(0),
              .site_id = row.Text(1),
              .starts_at = FromUnixSeconds(row.Int(2)),
              .ends_at = FromUnixSeconds(row.Int(3)),
              .capacity = row.Int(4),
              .walk_in_quota = row.Int(5),
              .booked = row.Int(6),
              .walk_ins = row.Int(7)};
}
constexpr std::string_view kSlotSelect =
    "SELECT id, site_id, starts_at, ends_at, capacity, walk_in_quota, booked, walk_ins "
    "FROM access_slots";

constexpr std::string_view kBookingSelect =
    "SELECT b.id, b.slot_id, b.site_id, p.name, s.starts_at, s.ends_at, b.walk_in, "
    "b.cancelled_at, b.created_at, o.name FROM access_bookings b JOIN access_slots s ON "
    "s.id = b.slot_id JOIN sites p ON p.id = b.site_id JOIN organisations o ON o.id = p.org_id";
Booking BookingOf(const store::Row& row) {
  return Booking{.id = row.Text(0),
                 .slot_id = row.Text(1),
                 .site_id = row.Text(2),
                 .site_name = row.Text(3),
                 .org_name = row.Text(9),
                 .starts_at = FromUnixSeconds(row.Int(4)),
                 .ends_at = FromUnixSeconds(row.Int(5)),
                 .walk_in = row.Int(6) != 0,
                 .cancelled = !row.IsNull(7),
                 .created_at = FromUnixSeconds(row.Int(8))};
}

constexpr std::string_view kPassSelect =
    "SELECT a.id, a.site_id, p.name, a.printed, a.visitor_id, a.valid_from, a.valid_until, "
    "a.entries, a.used, a.revoked_at, a.created_at, o.name FROM access_passes a "
    "JOIN sites p ON p.id = a.site_id JOIN organisations o ON o.id = p.org_id";
Pass PassOf(const store::Row& row) {
  return Pass{.id = row.Text(0),
              .site_id = row.Text(1),
              .site_name = row.Text(2),
              .org_name = row.Text(11),
              .printed = row.Int(3) != 0,
              .claimed = !row.IsNull(4),
              .valid_from = FromUnixSeconds(row.Int(5)),
              .valid_until = FromUnixSeconds(row.Int(6)),
              .entries = row.Int(7),
              .used = row.Int(8),
              .revoked = !row.IsNull(9),
              .created_at = FromUnixSeconds(row.Int(10))};
}

Status CheckRange(std::int64_t value, std::int64_t low, std::int64_t high, const char* what) {
  if (value < low || value > high) {
    return InvalidArgument(std::string(what) + " must be " + std::to_string(low) + "-" +
                           std::to_string(high));
  }
  return OkStatus();
}

// The [access] settings and their ranges, for the module's Configure and
// for AccessScene::Open alike.
struct IntSetting {
  const char* key;
  int AccessOptions::*value;
  int low, high;
};
constexpr IntSetting kSettings[] = {
    {"list_lifetime_minutes", &AccessOptions::list_lifetime_minutes, 5, 1440},
    {"refresh_seconds", &AccessOptions::refresh_seconds, 10, 3600},
    {"max_bookings_per_day", &AccessOptions::max_bookings_per_day, 1, 20},
    {"max_open_passes", &AccessOptions::max_open_passes, 1, 50},
    {"max_pass_entries", &AccessOptions::max_pass_entries, 1, 100},
    {"max_pass_days", &AccessOptions::max_pass_days, 1, 31},
    {"booking_days_ahead", &AccessOptions::booking_days_ahead, 1, 90}};

}  // namespace

std::string_view PolicyName(Policy policy) {
  switch (policy) {
    case Policy::kStaff: return "staff";
    case Policy::kReservations: return "reservations";
    case Policy::kResidents: return "residents";
  }
  return "unknown";
}

Result<Policy> PolicyFromName(std::string_view name) {
  for (Policy policy : {Policy::kStaff, Policy::kReservations, Policy::kResidents}) {
    if (name == PolicyName(policy)) return policy;
  }
  return InvalidArgument("policy is staff, reservations or residents", "bad_policy");
}

std::string SiteSelect(std::string_view extra_columns) {
  return "SELECT s.site_id, s.org_id, p.name, s.policy, s.opens, s.closes, s.anti_passback, "
         "s.configured_at, o.name, s.allow_cards" +
         (extra_columns.empty() ? "" : ", " + std::string(extra_columns)) +
         " FROM access_sites s JOIN sites p ON p.id = s.site_id JOIN organisations o ON "
         "o.id = s.org_id";
}

Result<Site> SiteOf(const store::Row& row) {
  Site site{.id = row.Text(0),
            .org_id = row.Text(1),
            .name = row.Text(2),
            .opens = row.Text(4),
            .closes = row.Text(5),
            .anti_passback = row.Int(6) != 0,
            .configured_at = FromUnixSeconds(row.Int(7))};
  site.org_name = row.Text(8);
  site.allow_cards = row.Int(9) != 0;
  CITYCODE_ASSIGN_OR_RETURN(site.policy, PolicyFromName(row.Text(3)));
  return site;
}

std::string MemberAad(std::string_view id) { return "access_members.name:" + std::string(id); }

std::string PassIdOf(const code::CredentialId& id) { return "pass_" + ToHex(id); }

Result<code::CredentialId> PrintedPassId(std::string_view pass_id) {
  code::CredentialId id{};
  auto bytes = pass_id.starts_with("pass_")
                   ? FromHex(pass_id.substr(5))
                   : Result<Bytes>(Internal("a pass id without its prefix"));
  if (!bytes.ok() || bytes->size() != id.size()) return Internal("stored pass id is malformed");
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

Status MarkChanged(store::Transaction& tx, std::string_view site_id) {
  return tx
      .Execute("UPDATE access_sites SET change_seq = change_seq + 1 WHERE site_id = ?",
               {Text(site_id)})
      .status();
}

Result<Site> AccessScene::Impl::LoadSite(store::Transaction& tx, std::string_view site_id,
                                         std::string_view org_id) const {
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional(SiteSelect() + " WHERE s.site_id = ?", {Text(site_id)}));
  if (!row) {
    CITYCODE_ASSIGN_OR_RETURN(
        auto platform_site,
        tx.QueryOptional("SELECT org_id FROM sites WHERE id = ?", {Text(site_id)}));
    if (platform_site && (org_id.empty() || platform_site->Text(0) == org_id)) {
      return FailedPrecondition("the site has no access policy yet", "site_not_configured");
    }
    return NotFound("no such site");
  }
  CITYCODE_ASSIGN_OR_RETURN(Site site, SiteOf(*row));
  if (!org_id.empty() && site.org_id != org_id) return NotFound("no such site");
  return site;
}

Result<Site> AccessScene::Impl::GateSite(store::Transaction& tx, const Principal& gate,
                                         std::string_view site_id) const {
  if (gate.role != platform::Role::kTerminal || gate.scene != code::Scene::kAccess) {
    return PermissionDenied("only an access site's gates may do this", "not_an_access_terminal");
  }
  if (!site_id.empty() && site_id != gate.site_id) {
    return PermissionDenied("the gate belongs to another site", "site_other");
  }
  return LoadSite(tx, gate.site_id);
}

AccessScene::AccessScene(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AccessScene::~AccessScene() = default;

Result<std::unique_ptr<AccessScene>> AccessScene::Open(store::Database& db, const Clock& clock,
                                                       platform::Platform& platform,
                                                       const platform::Keyring& keyring,
                                                       CityTime time, AccessOptions options) {
  for (const IntSetting& setting : kSettings) {
    CITYCODE_RETURN_IF_ERROR(CheckRange(options.*setting.value, setting.low, setting.high,
                                        ("[access] " + std::string(setting.key)).c_str()));
  }
  CITYCODE_RETURN_IF_ERROR(db.Migrate(kMigrations));
  return std::unique_ptr<AccessScene>(
      new AccessScene(std::make_unique<Impl>(Impl{db, clock, platform, keyring, time, options})));
}

// --- setup ---

Result<Site> AccessScene::ConfigureSite(std::string_view org_id, std::string_view site_id,
                                        const SiteSetup& setup) {
  CITYCODE_ASSIGN_OR_RETURN(int opens, MinutesOfDay(setup.opens));
  CITYCODE_ASSIGN_OR_RETURN(int closes, MinutesOfDay(setup.closes));
  if (closes <= opens) return InvalidArgument("a site closes after it opens", "bad_hours");
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org,
                            impl_->platform.organisations().Get(org_id));
  if (org.kind != platform::OrgKind::kAccessSite) {
    return FailedPrecondition("the organisation is not an access site", "not_an_access_site");
  }
  Site site;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            auto owner, tx.QueryOptional("SELECT org_id FROM sites WHERE id = ?", {Text(site_id)}));
        if (!owner || owner->Text(0) != org_id) return NotFound("no such site");
        // The policy is chosen once: members, slots and passes belong to it.
        CITYCODE_ASSIGN_OR_RETURN(
            auto existing,
            tx.QueryOptional(
                "SELECT policy, anti_passback, allow_cards FROM access_sites WHERE site_id = ?",
                {Text(site_id)}));
        if (existing && existing->Text(0) != PolicyName(setup.policy)) {
          return FailedPrecondition("a site's policy cannot change", "wrong_policy");
        }
        const bool anti_passback = setup.anti_passback.value_or(existing && existing->Int(1) != 0);
        const bool allow_cards = setup.allow_cards.value_or(existing && existing->Int(2) != 0);
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO access_sites (site_id, org_id, policy, opens, closes, "
                       "anti_passback, allow_cards, configured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (site_id) DO UPDATE SET opens = excluded.opens, "
                       "closes = excluded.closes, anti_passback = excluded.anti_passback, "
                       "allow_cards = excluded.allow_cards",
                       {Text(site_id), Text(org_id), Text(PolicyName(setup.policy)),
                        Text(setup.opens), Text(setup.closes), Int(anti_passback ? 1 : 0),
                        Int(allow_cards ? 1 : 0), Time(impl_->clock.Now())})
                .status());
        CITYCODE_ASSIGN_OR_RETURN(site, impl_->LoadSite(tx, site_id, org_id));
        return MarkChanged(tx, site_id);  // cards may have come or gone
      }));
  return site;
}

Result<std::vector<Site>> AccessScene::ListSites(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query(SiteSelect() + " WHERE s.org_id = ? ORDER BY p.name", {Text(org_id)}));
  std::vector<Site> sites;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(Site site, SiteOf(row));
    sites.push_back(std::move(site));
  }
  return sites;
}

Result<Member> AccessScene::AddMember(std::string_view org_id, std::string_view site_id,
                                      const NewMember& request) {
  CITYCODE_RETURN_IF_ERROR(
      platform::CheckPerson(request.name, request.id_number, impl_->clock.Now()));
  if (request.household.size() > kMaxHousehold) {
    return InvalidArgument("a household is at most 64 bytes");
  }
  Member member{.id = crypto::RandomId("mem"),
                .site_id = std::string(site_id),
                .name = request.name,
                .household = request.household,
                .added_at = impl_->clock.Now()};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(Site site, impl_->LoadSite(tx, site_id, org_id));
        if (site.policy == Policy::kReservations) {
          return FailedPrecondition("a reservation site has no members", "wrong_policy");
        }
        if (site.policy == Policy::kResidents) {
          CITYCODE_RETURN_IF_ERROR(api::CheckText(request.household, kMaxHousehold, "a household"));
        }
        CITYCODE_ASSIGN_OR_RETURN(auto holding,
                                  impl_->platform.identities().FindPerson(tx, request.id_number));
        // The same answer for an unknown person and a wrong name.
        if (!holding || holding->identity.person.name != request.name) {
          return NotFound("no account is verified for this person", "person_not_registered");
        }
        auto inserted = tx.Execute(
            "INSERT INTO access_members (id, site_id, citizen_id, household, sealed_name, "
            "added_at) VALUES (?, ?, ?, ?, ?, ?)",
            {Text(member.id), Text(site_id), Text(holding->citizen_id), Text(member.household),
             Blob(impl_->keyring.Seal(AsBytes(member.name), MemberAad(member.id))),
             Time(member.added_at)});
        if (inserted.status().code() == StatusCode::kAlreadyExists) {
          return AlreadyExists("the person is a member already", "member_exists");
        }
        CITYCODE_RETURN_IF_ERROR(inserted.status());
        return MarkChanged(tx, site_id);
      }));
  return member;
}

Result<std::vector<Member>> AccessScene::ListMembers(std::string_view org_id,
                                                     std::string_view site_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_RETURN_IF_ERROR(impl_->LoadSite(*tx, site_id, org_id).status());
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT id, household, sealed_name, added_at FROM access_members "
                           "WHERE site_id = ? AND removed_at IS NULL ORDER BY added_at, id",
                           {Text(site_id)}));
  std::vector<Member> members;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(Bytes name, impl_->keyring.Open(row.Blob(2), MemberAad(row.Text(0))));
    members.push_back({.id = row.Text(0),
                       .site_id = std::string(site_id),
                       .name = std::string(AsChars(name)),
                       .household = row.Text(1),
                       .added_at = FromUnixSeconds(row.Int(3))});
  }
  return members;
}

Status AccessScene::RemoveMember(std::string_view org_id, std::string_view site_id,
                                 std::string_view member_id) {
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_RETURN_IF_ERROR(impl_->LoadSite(tx, site_id, org_id).status());
        CITYCODE_ASSIGN_OR_RETURN(
            auto removed,
            tx.Execute("UPDATE access_members SET removed_at = ? WHERE id = ? AND site_id = ? "
                       "AND removed_at IS NULL",
                       {Time(impl_->clock.Now()), Text(member_id), Text(site_id)}));
        if (removed != 1) return NotFound("no such member");
        return MarkChanged(tx, site_id);
      });
}

Result<Slot> AccessScene::AddSlot(std::string_view org_id, std::string_view site_id,
                                  const NewSlot& request) {
  CITYCODE_RETURN_IF_ERROR(CheckRange(request.capacity, 0, 100'000, "capacity"));
  CITYCODE_RETURN_IF_ERROR(CheckRange(request.walk_in_quota, 0, 100'000, "walk_in_quota"));
  if (request.capacity + request.walk_in_quota == 0) {
    return InvalidArgument("a slot needs places");
  }
  if (request.ends_at <= request.starts_at ||
      request.ends_at - request.starts_at > std::chrono::hours(24)) {
    return InvalidArgument("a slot ends after it starts, within a day", "bad_slot_time");
  }
  if (request.ends_at <= impl_->clock.Now())
    return FailedPrecondition("the slot is over", "slot_past");
  Slot slot{.id = crypto::RandomId("aslot"),
            .site_id = std::string(site_id),
            .starts_at = request.starts_at,
            .ends_at = request.ends_at,
            .capacity = request.capacity,
            .walk_in_quota = request.walk_in_quota};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(Site site, impl_->LoadSite(tx, site_id, org_id));
        CITYCODE_RETURN_IF_ERROR(RequirePolicy(site, Policy::kReservations));
        // Within the day's opening hours.
        const auto day = impl_->time.LocalDay(slot.starts_at);
        const Instant opens =
            impl_->time.StartOf(day) + std::chrono::minutes(*MinutesOfDay(site.opens));
        const Instant closes =
            impl_->time.StartOf(day) + std::chrono::minutes(*MinutesOfDay(site.closes));
        if (slot.starts_at < opens || slot.ends_at > closes) {
          return InvalidArgument("the slot is outside the opening hours", "bad_slot_time");
        }
        return tx
            .Execute(
                "INSERT INTO access_slots (id, site_id, starts_at, ends_at, capacity, "
                "walk_in_quota) VALUES (?, ?, ?, ?, ?, ?)",
                {Text(slot.id), Text(site_id), Time(slot.starts_at), Time(slot.ends_at),
                 Int(slot.capacity), Int(slot.walk_in_quota)})
            .status();
      }));
  return slot;
}

// --- citizens: reservations ---

Result<std::vector<Site>> AccessScene::ReservationSites() {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query(SiteSelect() + " WHERE s.policy = 'reservations' ORDER BY p.name"));
  std::vector<Site> sites;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(Site site, SiteOf(row));
    sites.push_back(std::move(site));
  }
  return sites;
}

Result<std::vector<Slot>> AccessScene::ListSlots(std::string_view site_id, std::string_view day) {
  CITYCODE_ASSIGN_OR_RETURN(auto local_day, ParseIsoDay(day));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(Site site, impl_->LoadSite(*tx, site_id));
  CITYCODE_RETURN_IF_ERROR(RequirePolicy(site, Policy::kReservations));
  const Instant start = impl_->time.StartOf(local_day);
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query(std::string(kSlotSelect) +
                               " WHERE site_id = ? AND starts_at >= ? AND starts_at < ? "
                               "ORDER BY starts_at, id",
                           {Text(site_id), Time(start), Time(start + std::chrono::days(1))}));
  std::vector<Slot> slots;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(Slot slot, SlotOf(row));
    slots.push_back(std::move(slot));
  }
  return slots;
}

namespace {

// In `tx`: one more booking of `citizen_id` at the slot's site on its local
// day, within the limit (a conditional counter, so concurrent bookings of
// one person cannot pass it together).
Status CountBooking(store::Transaction& tx, const Slot& slot, std::string_view citizen_id,
                    std::string_view day, int limit) {
  CITYCODE_ASSIGN_OR_RETURN(
      auto counted,
      tx.Execute("INSERT INTO access_booking_days (site_id, citizen_id, day, count) "
                 "VALUES (?, ?, ?, 1) ON CONFLICT (site_id, citizen_id, day) DO UPDATE SET "
                 "count = access_booking_days.count + 1 WHERE access_booking_days.count < ?",
                 {Text(slot.site_id), Text(citizen_id), Text(day), Int(limit)}));
  if (counted != 1) {
    return FailedPrecondition("at most " + std::to_string(limit) + " bookings a day at this site",
                              "booking_limit");
  }
  return OkStatus();
}

// In `tx`: a place of the slot for the citizen (a walk-in from the quota).
Result<Booking> BookIn(store::Transaction& tx, const Clock& clock, const CityTime& time,
                       int max_bookings_per_day, const Slot& slot, std::string_view citizen_id,
                       bool walk_in) {
  CITYCODE_ASSIGN_OR_RETURN(auto held,
                            tx.QueryOptional("SELECT id FROM access_bookings WHERE slot_id = ? AND "
                                             "citizen_id = ? AND cancelled_at IS NULL",
                                             {Text(slot.id), Text(citizen_id)}));
  if (held) return AlreadyExists("you have a place in this slot already", "already_booked");
  const std::string day = FormatIsoDay(time.LocalDay(slot.starts_at));
  CITYCODE_RETURN_IF_ERROR(CountBooking(tx, slot, citizen_id, day, max_bookings_per_day));
  CITYCODE_ASSIGN_OR_RETURN(
      auto taken,
      tx.Execute(walk_in ? "UPDATE access_slots SET walk_ins = walk_ins + 1 WHERE id = ? AND "
                           "walk_ins < walk_in_quota"
                         : "UPDATE access_slots SET booked = booked + 1 WHERE id = ? AND "
                           "booked < capacity",
                 {Text(slot.id)}));
  if (taken != 1) {
    return walk_in ? FailedPrecondition("the slot's walk-in places are sold", "walk_ins_full")
                   : FailedPrecondition("the slot is full", "slot_full");
  }
  const Instant now = clock.Now();
  Booking booking{.id = crypto::RandomId("abk"),
                  .slot_id = slot.id,
                  .site_id = slot.site_id,
                  .starts_at = slot.starts_at,
                  .ends_at = slot.ends_at,
                  .walk_in = walk_in,
                  .created_at = now};
  auto inserted = tx.Execute(
      "INSERT INTO access_bookings (id, slot_id, site_id, citizen_id, day, walk_in, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {Text(booking.id), Text(slot.id), Text(slot.site_id), Text(citizen_id), Text(day),
       Int(walk_in ? 1 : 0), Time(now)});
  if (inserted.status().code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("you have a place in this slot already", "already_booked");
  }
  CITYCODE_RETURN_IF_ERROR(inserted.status());
  CITYCODE_RETURN_IF_ERROR(MarkChanged(tx, slot.site_id));
  CITYCODE_ASSIGN_OR_RETURN(
      auto name, tx.QueryOne("SELECT p.name, o.name FROM sites p JOIN organisations o ON "
                             "o.id = p.org_id WHERE p.id = ?",
                             {Text(slot.site_id)}));
  booking.site_name = name.Text(0);
  booking.org_name = name.Text(1);
  return booking;
}

}  // namespace

Result<Booking> AccessScene::Impl::BookSlot(store::Transaction& tx, std::string_view slot_id,
                                            std::string_view citizen_id, bool walk_in) const {
  const Impl& impl = *this;
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional(std::string(kSlotSelect) + " WHERE id = ?", {Text(slot_id)}));
  if (!row) return NotFound("no such slot");
  CITYCODE_ASSIGN_OR_RETURN(Slot slot, SlotOf(*row));
  CITYCODE_ASSIGN_OR_RETURN(Site site, impl.LoadSite(tx, slot.site_id));
  CITYCODE_RETURN_IF_ERROR(RequirePolicy(site, Policy::kReservations));
  const Instant now = impl.clock.Now();
  if (slot.ends_at <= now) return FailedPrecondition("the slot is over", "slot_past");
  if (impl.time.LocalDay(slot.starts_at) >
      impl.time.LocalDay(now) + std::chrono::days(impl.options.booking_days_ahead)) {
    return FailedPrecondition("the slot is not open for booking yet", "slot_not_open");
  }
  CITYCODE_RETURN_IF_ERROR(impl.platform.identities().Verified(tx, citizen_id).status());
  return BookIn(tx, clock, time, options.max_bookings_per_day, slot, citizen_id, walk_in);
}

Result<Booking> AccessScene::Book(std::string_view citizen_id, std::string_view slot_id) {
  Booking booking;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(booking, impl_->BookSlot(tx, slot_id, citizen_id, false));
        return OkStatus();
      }));
  return booking;
}

Result<Booking> AccessScene::CancelBooking(std::string_view citizen_id,
                                           std::string_view booking_id) {
  Booking booking;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            auto row,
            tx.QueryOptional(std::string(kBookingSelect) + " WHERE b.id = ? AND b.citizen_id = ?",
                             {Text(booking_id), Text(citizen_id)}));
        if (!row) return NotFound("no such booking");
        booking = BookingOf(*row);
        if (booking.cancelled)
          return FailedPrecondition("the booking is cancelled", "booking_cancelled");
        const Instant now = impl_->clock.Now();
        if (booking.ends_at <= now) return FailedPrecondition("the slot is over", "slot_past");
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE access_bookings SET cancelled_at = ? WHERE id = ?",
                       {Time(now), Text(booking.id)})
                .status());
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute(booking.walk_in
                           ? "UPDATE access_slots SET walk_ins = walk_ins - 1 WHERE id = ?"
                           : "UPDATE access_slots SET booked = booked - 1 WHERE id = ?",
                       {Text(booking.slot_id)})
                .status());
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE access_booking_days SET count = count - 1 WHERE site_id = ? AND "
                       "citizen_id = ? AND day = ?",
                       {Text(booking.site_id), Text(citizen_id),
                        Text(FormatIsoDay(impl_->time.LocalDay(booking.starts_at)))})
                .status());
        booking.cancelled = true;
        return MarkChanged(tx, booking.site_id);
      }));
  return booking;
}

Result<std::vector<Booking>> AccessScene::ListBookings(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kBookingSelect) +
                    " WHERE b.citizen_id = ? AND s.ends_at > ? ORDER BY s.starts_at, b.id",
                {Text(citizen_id), Time(impl_->clock.Now() - std::chrono::days(30))}));
  std::vector<Booking> bookings;
  for (const auto& row : rows) bookings.push_back(BookingOf(row));
  return bookings;
}

// --- citizens: visitor passes ---

Result<Pass> AccessScene::IssuePass(std::string_view citizen_id, const PassRequest& request) {
  const AccessOptions& options = impl_->options;
  const Instant now = impl_->clock.Now();
  CITYCODE_RETURN_IF_ERROR(CheckRange(request.entries, 1, options.max_pass_entries, "entries"));
  if (request.valid_until <= request.valid_from || request.valid_until <= now ||
      request.valid_from < now - kPassBackdate ||
      request.valid_until - request.valid_from > std::chrono::days(options.max_pass_days)) {
    return InvalidArgument(
        "a pass's window starts now or later, ends after it starts, and is at "
        "most " +
            std::to_string(options.max_pass_days) + " days long",
        "bad_pass_window");
  }
  const auto pass_id = crypto::RandomArray<code::kCredentialIdSize>();
  Pass pass{.id = PassIdOf(pass_id),
            .site_id = request.site_id,
            .printed = request.printed,
            .valid_from = request.valid_from,
            .valid_until = request.valid_until,
            .entries = request.entries,
            .created_at = now};
  Bytes claim_hash;
  if (!request.printed) {
    pass.claim_token = "ccv_" + Base64UrlEncode(crypto::RandomArray<32>());
    const crypto::Digest digest = crypto::Sha256(AsBytes(pass.claim_token));
    claim_hash.assign(digest.begin(), digest.end());
  }
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(Site site, impl_->LoadSite(tx, request.site_id));
        CITYCODE_RETURN_IF_ERROR(RequirePolicy(site, Policy::kResidents));
        pass.site_name = site.name;
        pass.org_name = site.org_name;
        CITYCODE_ASSIGN_OR_RETURN(
            auto resident,
            tx.QueryOptional("SELECT id FROM access_members WHERE site_id = ? AND citizen_id = ? "
                             "AND removed_at IS NULL",
                             {Text(request.site_id), Text(citizen_id)}));
        if (!resident) return PermissionDenied("you are not a resident here", "not_a_resident");
        // Serialises one resident's passes, so two at once cannot both pass
        // the allowance.
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE access_members SET added_at = added_at WHERE id = ?",
                       {Text(resident->Text(0))})
                .status());
        CITYCODE_ASSIGN_OR_RETURN(
            auto open, tx.QueryOne("SELECT COUNT(*) FROM access_passes WHERE resident_id = ? AND "
                                   "revoked_at IS NULL AND valid_until > ? AND used < entries",
                                   {Text(citizen_id), Time(now)}));
        if (open.Int(0) >= options.max_open_passes) {
          return FailedPrecondition(
              "at most " + std::to_string(options.max_open_passes) + " open visitor passes",
              "pass_limit");
        }
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute(
                  "INSERT INTO access_passes (id, site_id, resident_id, printed, claim_hash, "
                  "valid_from, valid_until, entries, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {Text(pass.id), Text(pass.site_id), Text(citizen_id), Int(pass.printed ? 1 : 0),
                   claim_hash.empty() ? store::Value(nullptr) : Blob(claim_hash),
                   Time(pass.valid_from), Time(pass.valid_until), Int(pass.entries), Time(now)})
                .status());
        if (!pass.printed) return OkStatus();
        CITYCODE_ASSIGN_OR_RETURN(Bytes signed_pass,
                                  impl_->platform.signing_keys().SignVisitorPass(
                                      {.id = pass_id,
                                       .valid_from = pass.valid_from,
                                       .valid_until = pass.valid_until,
                                       .site = pass.site_id,
                                       .entries = static_cast<std::uint32_t>(pass.entries)}));
        pass.printed_text = code::VisitorPassText(signed_pass);
        return OkStatus();
      }));
  return pass;
}

Result<Pass> AccessScene::ClaimPass(std::string_view citizen_id, std::string_view claim_token) {
  if (claim_token.size() > 128) return NotFound("no such pass");
  const crypto::Digest digest = crypto::Sha256(AsBytes(claim_token));
  const Instant now = impl_->clock.Now();
  Pass pass;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            auto row, tx.QueryOptional(std::string(kPassSelect) +
                                           " WHERE a.claim_hash = ? AND a.revoked_at IS NULL "
                                           "AND a.valid_until > ?",
                                       {Blob(digest), Time(now)}));
        if (!row) return NotFound("no such pass");
        pass = PassOf(*row);
        CITYCODE_ASSIGN_OR_RETURN(
            auto claimed,
            tx.Execute("UPDATE access_passes SET visitor_id = ?, claim_hash = NULL WHERE id = ? "
                       "AND visitor_id IS NULL",
                       {Text(citizen_id), Text(pass.id)}));
        if (claimed != 1) return FailedPrecondition("the pass is claimed", "pass_claimed");
        pass.claimed = true;
        return MarkChanged(tx, pass.site_id);
      }));
  return pass;
}

Status AccessScene::RevokePass(std::string_view citizen_id, std::string_view pass_id) {
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            auto row, tx.QueryOptional("SELECT site_id FROM access_passes WHERE id = ? AND "
                                       "resident_id = ? AND revoked_at IS NULL",
                                       {Text(pass_id), Text(citizen_id)}));
        if (!row) return NotFound("no such pass");
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE access_passes SET revoked_at = ?, claim_hash = NULL WHERE id = ?",
                       {Time(impl_->clock.Now()), Text(pass_id)})
                .status());
        return MarkChanged(tx, row->Text(0));
      });
}

Result<std::vector<Pass>> AccessScene::ListPasses(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kPassSelect) + " WHERE a.resident_id = ? AND a.valid_until > ? "
                                           "ORDER BY a.created_at DESC, a.id",
                {Text(citizen_id), Time(impl_->clock.Now() - std::chrono::days(30))}));
  std::vector<Pass> passes;
  for (const auto& row : rows) {
    Pass pass = PassOf(row);
    CITYCODE_ASSIGN_OR_RETURN(
        auto uses, tx->Query("SELECT u.at, t.name FROM access_pass_uses u JOIN terminals t ON "
                             "t.id = u.terminal_id WHERE u.pass_id = ? ORDER BY u.at",
                             {Text(pass.id)}));
    for (const auto& use : uses) {
      pass.uses.push_back({.at = FromUnixSeconds(use.Int(0)), .gate = use.Text(1)});
    }
    passes.push_back(std::move(pass));
  }
  return passes;
}

Result<std::vector<Pass>> AccessScene::ListClaimedPasses(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kPassSelect) + " WHERE a.visitor_id = ? AND a.valid_until > ? "
                                           "ORDER BY a.valid_from DESC, a.id",
                {Text(citizen_id), Time(impl_->clock.Now() - std::chrono::days(30))}));
  std::vector<Pass> passes;
  for (const auto& row : rows) passes.push_back(PassOf(row));
  return passes;
}

Result<std::vector<Membership>> AccessScene::ListMemberships(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query(SiteSelect("m.household") +
                               " JOIN access_members m ON m.site_id = s.site_id WHERE "
                               "m.citizen_id = ? AND m.removed_at IS NULL ORDER BY o.name, p.name",
                           {Text(citizen_id)}));
  std::vector<Membership> memberships;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(Site site, SiteOf(row));
    memberships.push_back({.site = std::move(site), .household = row.Text(10)});
  }
  return memberships;
}

// --- the citizen's data ---

Result<std::vector<CitizenPassage>> AccessScene::CitizenPassages(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT p.at, s.name, t.name, p.admitted FROM access_passages p "
                           "JOIN sites s ON s.id = p.site_id JOIN terminals t ON "
                           "t.id = p.terminal_id WHERE p.citizen_id = ? AND p.at > ? "
                           "ORDER BY p.at DESC, p.terminal_id, p.sequence",
                           {Text(citizen_id), Time(impl_->clock.Now() - std::chrono::days(90))}));
  std::vector<CitizenPassage> passages;
  for (const auto& row : rows) {
    passages.push_back({.at = FromUnixSeconds(row.Int(0)),
                        .site_name = row.Text(1),
                        .gate = row.Text(2),
                        .admitted = row.Int(3) != 0});
  }
  return passages;
}

Result<std::vector<std::string>> AccessScene::EraseCitizen(std::string_view citizen_id) {
  const Instant now = impl_->clock.Now();
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Booking> bookings, ListBookings(citizen_id));
  for (const Booking& booking : bookings) {
    if (booking.cancelled || booking.ends_at <= now) continue;
    CITYCODE_RETURN_IF_ERROR(CancelBooking(citizen_id, booking.id).status());
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Pass> passes, ListPasses(citizen_id));
  for (const Pass& pass : passes) {
    if (!pass.revoked) CITYCODE_RETURN_IF_ERROR(RevokePass(citizen_id, pass.id));
  }
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            auto sites, tx.Query("SELECT site_id FROM access_members WHERE citizen_id = ? AND "
                                 "removed_at IS NULL",
                                 {Text(citizen_id)}));
        CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE access_members SET removed_at = ? WHERE "
                                            "citizen_id = ? AND removed_at IS NULL",
                                            {Time(now), Text(citizen_id)})
                                     .status());
        for (const auto& site : sites) CITYCODE_RETURN_IF_ERROR(MarkChanged(tx, site.Text(0)));
        return OkStatus();
      }));
  return std::vector<std::string>{
      "access: passages — the sites' entry records (when, which gate, admitted or not); they "
      "hold the account's id, no name; memberships ended, bookings not yet due cancelled and "
      "visitor passes revoked, so no gate admits the account's codes any more"};
}

namespace {

class AccessModule final : public api::SceneModule {
 public:
  std::string_view name() const override { return "access"; }
  code::Scene kind() const override { return code::Scene::kAccess; }
  int migration_block() const override { return 6000; }

  Status Configure(ConfigSection& section) override {
    for (const IntSetting& setting : kSettings) {
      int& value = options_.*setting.value;
      CITYCODE_RETURN_IF_ERROR(section.Read(setting.key, value));
      if (value < setting.low || value > setting.high) {
        return section.Invalid(setting.key,
                               std::to_string(setting.low) + "-" + std::to_string(setting.high));
      }
    }
    return OkStatus();
  }

  Result<std::unique_ptr<api::Scene>> Open(const api::SceneContext& context) override {
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<AccessScene> scene,
                              AccessScene::Open(context.db, context.clock, context.platform,
                                                context.keyring, context.time, options_));
    return std::unique_ptr<api::Scene>(std::move(scene));
  }

 private:
  AccessOptions options_;
};

}  // namespace

std::unique_ptr<api::SceneModule> MakeAccessModule() { return std::make_unique<AccessModule>(); }

Result<nlohmann::json> AccessScene::Dashboard(Instant since) {
  static constexpr std::string_view kNames[] = {"admitted", "refused", "bookings"};
  return api::CountsSince(impl_->db, R"sql(
SELECT (SELECT COUNT(*) FROM access_passages WHERE admitted = 1 AND at >= ?),
       (SELECT COUNT(*) FROM access_passages WHERE admitted = 0 AND at >= ?),
       (SELECT COUNT(*) FROM access_bookings WHERE created_at >= ?)
)sql",
                          since, kNames);
}

}  // namespace citycode::access
