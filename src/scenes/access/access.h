// The access scene (scene access): the gates of offices and the court,
// scenic areas and residential communities let people in by the one code,
// deciding offline from a signed allow-list (docs/ACCESS.md).
//
// - Sites: a platform site of an organisation of kind access_site, with one
//   policy: staff (members the organisation's admin manages), reservations
//   (time slots with a capacity) or residents (members with their
//   household, who issue visitor passes). Opening hours in local time.
// - Allow-lists (code/allow_list.h): per site, the hashes of the credential
//   ids that may pass now or within the list's lifetime: each member's live
//   credentials and the id announced for each device's next one, each
//   holder's during their booked slot, each claimed visitor pass's visitor
//   during its window (with its entries). Every change of what the list
//   holds makes a new version at the next download (at most refresh_seconds
//   apart otherwise); the entries each version added and removed are kept,
//   so a gate downloads the changes since the version it holds.
// - Passages: a gate records each decision and uploads them later, each
//   once by (gate, sequence); a code is verified as of its scan for the
//   record, and an admitted visitor's passage counts against their pass.
// - Reservations: no overbooking under concurrent bookings (one conditional
//   update of the slot's count), at most max_bookings_per_day per person
//   per site and local day (a conditional counter), a walk-in quota per slot
//   that only a gate sells, cancellation frees the place at once.
// - Visitor passes: a resident issues one for a window and a number of
//   entries, either to another citizen (a claim token the visitor redeems
//   on their page: their codes are admitted) or printed (a CV1 pass signed
//   by the platform, code/visitor_pass.h, naming no person).
//
// Errors (the reason() in quotes):
//  - permission_denied: "not_an_access_terminal"; "site_other" (a gate or
//    admin of another site), "not_a_resident".
//  - failed_precondition: "not_an_access_site" (an organisation of another
//    kind), "site_not_configured", "wrong_policy" (members of a reservation
//    site, slots of a staff site …), "slot_full", "slot_past",
//    "walk_ins_full", "booking_limit", "pass_limit", "booking_cancelled",
//    "pass_claimed", "identity_not_verified", "delta_unavailable".
//  - not_found: "person_not_registered" (no account verified for that
//    person), and unknown ids (another site's or citizen's as unknown).
//  - already_exists: "member_exists", "already_booked".
//  - invalid_argument: bad input (times, capacity, entries, a window too
//    long).
//
// Thread-safe: AccessScene keeps no state of its own outside the database.
#ifndef CITYCODE_SCENES_ACCESS_ACCESS_H_
#define CITYCODE_SCENES_ACCESS_ACCESS_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/scene.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/status.h"
#include "platform/keyring.h"
#include "platform/platform.h"
#include "store/database.h"

namespace citycode::access {

// The [access] section of citycode.toml.
struct AccessOptions {
  // A list is valid this long after it is issued; a gate that cannot
  // refresh admits nobody after it. With refresh_seconds this is the
  // lock-out bound (docs/ACCESS.md). 5-1440.
  int list_lifetime_minutes = 60;
  // A gate downloads the list this often; the server makes a new version
  // at a download when its content changed, or when the one it has is this
  // old. 10-3600.
  int refresh_seconds = 60;
  int max_bookings_per_day = 2;  // per person, site and local day; 1-20
  int max_open_passes = 5;       // per resident; 1-50
  int max_pass_entries = 10;     // 1-100
  int max_pass_days = 7;         // a pass's window at most; 1-31
  int booking_days_ahead = 7;    // slots open this many local days ahead; 1-90
};

enum class Policy { kStaff, kReservations, kResidents };
std::string_view PolicyName(Policy policy);  // "staff", "reservations", "residents"
Result<Policy> PolicyFromName(std::string_view name);

struct Site {
  std::string id;  // the platform's site id
  std::string org_id;
  std::string org_name;  // 鹤山风景区
  std::string name;      // 东门
  Policy policy = Policy::kStaff;
  std::string opens = "00:00";  // local HH:MM
  std::string closes = "24:00";
  // Report passages in the same direction as the holder's previous one.
  bool anti_passback = false;
  // Members' printed cards (DESIGN.md) pass too, through the list.
  bool allow_cards = false;
  Instant configured_at{};
};

struct SiteSetup {
  Policy policy = Policy::kStaff;
  std::string opens = "00:00";
  std::string closes = "24:00";
  // nullopt: as the site has it (off for a new site).
  std::optional<bool> anti_passback;
  std::optional<bool> allow_cards;
};

enum class Direction { kIn, kOut };
std::string_view DirectionName(Direction direction);  // "in", "out"
Result<Direction> DirectionFromName(std::string_view name);

// A passage in the same direction as its holder's previous one at the site
// (in twice without out between): what gates offline cannot see of each
// other, found from the uploaded passages.
struct Passback {
  Instant at{};
  std::string gate;
  Direction direction = Direction::kIn;
  Instant previous_at{};
  std::string previous_gate;
  std::string member;  // the member's name; empty for a visitor or booking holder
};

struct Member {
  std::string id;
  std::string site_id;
  std::string name;       // the verified name, for the admin's list
  std::string household;  // a resident's (unit, room); empty for staff
  Instant added_at{};
};

// A person the admin adds, as their verified identity names them.
struct NewMember {
  std::string name;
  std::string id_number;
  std::string household;
};

// A site the citizen is a member of (staff or resident).
struct Membership {
  Site site;
  std::string household;
};

struct Slot {
  std::string id;
  std::string site_id;
  Instant starts_at{};
  Instant ends_at{};
  std::int64_t capacity = 0;       // places booked ahead
  std::int64_t walk_in_quota = 0;  // further places sold at the gate
  std::int64_t booked = 0;
  std::int64_t walk_ins = 0;
};

struct NewSlot {
  Instant starts_at{};
  Instant ends_at{};
  std::int64_t capacity = 0;
  std::int64_t walk_in_quota = 0;
};

struct Booking {
  std::string id;
  std::string slot_id;
  std::string site_id;
  std::string site_name;
  std::string org_name;
  Instant starts_at{};
  Instant ends_at{};
  bool walk_in = false;
  bool cancelled = false;
  Instant created_at{};
};

struct PassUse {
  Instant at{};
  std::string gate;  // the gate's name
};

struct PassRequest {
  std::string site_id;
  Instant valid_from{};
  Instant valid_until{};
  std::int64_t entries = 1;
  bool printed = false;
};

struct Pass {
  std::string id;
  std::string site_id;
  std::string site_name;
  std::string org_name;
  bool printed = false;
  bool claimed = false;  // a citizen's pass a visitor has redeemed
  Instant valid_from{};
  Instant valid_until{};
  std::int64_t entries = 0;
  std::int64_t used = 0;
  bool revoked = false;
  Instant created_at{};
  std::vector<PassUse> uses;
  // Only when issued: the token the visitor redeems, or the printed pass's
  // CV1 text.
  std::string claim_token;
  std::string printed_text;
};

// A signed allow-list as a gate downloads it.
struct SignedAllowList {
  std::uint64_t version = 0;
  std::string jws;
  std::string etag;  // "\"allow-<site>-<version>\"" for the full list
  bool delta = false;
};

// One decision a gate recorded.
struct Passage {
  std::int64_t sequence = 0;  // the gate's, unique per gate
  Instant at{};
  std::string code;  // the CC1: or CV1: text scanned
  bool admitted = false;
  std::string reason;  // the gate's
};

// A passage of the citizen's own code, as they see it.
struct CitizenPassage {
  Instant at{};
  std::string site_name;
  std::string gate;
  bool admitted = false;
};

struct PassageUpload {
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;  // sent before: counted once
};

class AccessScene final : public api::Scene {
 public:
  // Applies the scene's migrations (versions 6001+). All must outlive it.
  static Result<std::unique_ptr<AccessScene>> Open(store::Database& db, const Clock& clock,
                                                   platform::Platform& platform,
                                                   const platform::Keyring& keyring,
                                                   CityTime time = {}, AccessOptions options = {});
  ~AccessScene() override;
  AccessScene(const AccessScene&) = delete;
  AccessScene& operator=(const AccessScene&) = delete;

  std::vector<api::RouteSpec> Routes() override;
  Status Upkeep() override;
  Status SeedDemo(api::DemoSeed& seed) override;
  // Memberships, bookings, passes issued and passages, for the data export.
  Result<nlohmann::json> ExportCitizen(std::string_view citizen_id) override;
  // For the operator's dashboard: Passages admitted and refused as the gates uploaded them, and
  // bookings since `since`.
  Result<nlohmann::json> Dashboard(Instant since) override;
  // Ends memberships, cancels bookings not yet due, revokes open passes;
  // keeps the passages (the sites' entry records).
  Result<std::vector<std::string>> EraseCitizen(std::string_view citizen_id) override;

  // --- the organisation's setup (the caller checks who may administer `org_id`) ---
  Result<Site> ConfigureSite(std::string_view org_id, std::string_view site_id,
                             const SiteSetup& setup);
  Result<std::vector<Site>> ListSites(std::string_view org_id);
  // Staff of a staff site, residents of a residents site.
  Result<Member> AddMember(std::string_view org_id, std::string_view site_id,
                           const NewMember& member);
  Result<std::vector<Member>> ListMembers(std::string_view org_id, std::string_view site_id);
  // Their codes leave the site's next list.
  Status RemoveMember(std::string_view org_id, std::string_view site_id,
                      std::string_view member_id);
  Result<Slot> AddSlot(std::string_view org_id, std::string_view site_id, const NewSlot& slot);
  // Which way a gate of the site lets people through (anti-passback).
  Status SetGateDirection(std::string_view org_id, std::string_view site_id,
                          std::string_view terminal_id, Direction direction);
  // The passbacks of the local day `day` (YYYY-MM-DD), in time order.
  Result<std::vector<Passback>> Passbacks(std::string_view org_id, std::string_view site_id,
                                          std::string_view day);

  // --- gates ---
  // The gate's site's list, or the changes since `since` (a version the
  // gate holds): a new version is made first when the content changed or
  // the newest is refresh_seconds old.
  Result<SignedAllowList> AllowList(const platform::Principal& gate, std::string_view site_id,
                                    std::optional<std::uint64_t> since = std::nullopt);
  Result<PassageUpload> UploadPassages(const platform::Principal& gate,
                                       const std::vector<Passage>& passages);
  // A walk-in sold at the gate by the holder's code: a place of the
  // current slot's walk-in quota.
  Result<Booking> SellWalkIn(const platform::Principal& gate, std::string_view qr_text);

  // --- citizens ---
  Result<std::vector<Site>> ReservationSites();
  // The site's slots of the local day `day` (YYYY-MM-DD).
  Result<std::vector<Slot>> ListSlots(std::string_view site_id, std::string_view day);
  Result<Booking> Book(std::string_view citizen_id, std::string_view slot_id);
  Result<Booking> CancelBooking(std::string_view citizen_id, std::string_view booking_id);
  Result<std::vector<Booking>> ListBookings(std::string_view citizen_id);
  Result<Pass> IssuePass(std::string_view citizen_id, const PassRequest& request);
  Result<Pass> ClaimPass(std::string_view citizen_id, std::string_view claim_token);
  Status RevokePass(std::string_view citizen_id, std::string_view pass_id);
  // The resident's passes with their uses.
  Result<std::vector<Pass>> ListPasses(std::string_view citizen_id);
  // The passes the citizen redeemed as a visitor (without their uses).
  Result<std::vector<Pass>> ListClaimedPasses(std::string_view citizen_id);
  Result<std::vector<Membership>> ListMemberships(std::string_view citizen_id);
  // Where the citizen's codes were scanned at gates in the last 90 days,
  // newest first.
  Result<std::vector<CitizenPassage>> CitizenPassages(std::string_view citizen_id);

 private:
  struct Impl;
  explicit AccessScene(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The scene as the scene list registers it; always on, with the [access]
// settings above.
std::unique_ptr<api::SceneModule> MakeAccessModule();

}  // namespace citycode::access

#endif  // CITYCODE_SCENES_ACCESS_ACCESS_H_
