// The hotel scene (scene hotel): check-in without an ID card (免证入住) at
// hotels, organisations of kind hotel with a licence number (特种行业许可证),
// and the guest records a hotel must report to the police's hotel-guest
// system and, as counts only, to the tourism safety platform.
//
// - Rooms: numbers unique per hotel. A room holds one stay in house at a
//   time (a partial unique index).
// - Stays: a front desk (a terminal of the hotel) checks a party in. Each
//   guest shows their own code, or a guardian's phone shows a child's; the
//   code is verified for the action and the guest's ID card (居民身份证) is
//   fetched from the vault under the presentation grant it makes, then
//   checked: valid status, the issuer's signature, within its validity. A
//   guest without the code (a foreign passport, no phone) is entered by
//   hand by the clerk signed in at the desk, who is named in the record.
//   Minors (under 18) check in only with an adult guest of the same stay.
//   Room change, check-out and cancellation (an entry in error) follow.
// - Guest records keep only what the police report needs (name, document
//   type and number, sex, ethnicity, birth date, address, nationality),
//   sealed at rest with the keyring; the hotel's own lists show names
//   only.
// - Reports: every change is an outbox event in the same transaction, on
//   the stay's stream to the police destination: one
//   "hotel.guest.checked_in" per guest, then "hotel.stay.room_changed",
//   "hotel.stay.checked_out" or "hotel.stay.cancelled", delivered in that
//   order, each with the stay's sequence number. The tourism destination
//   gets "hotel.counts.hourly" (arrivals and guests in house per hotel and
//   local hour, no identities) from Upkeep. The desk sees each report's
//   state and which are overdue (older than report_deadline_hours and not
//   delivered).
//
// Errors (the reason() in quotes):
//  - permission_denied: "not_a_hotel_terminal"; "code_invalid" (the
//    verifier's reason in the message); "staff_required" (a hand entry
//    without a clerk signed in); a room or stay of another hotel is
//    not_found, as an unknown one.
//  - failed_precondition: "not_a_hotel"; "no_licence" (the hotel has no
//    licence number yet); "minor_without_adult"; "id_card_not_held",
//    "id_card_not_valid", "id_card_expired", "id_card_bad_signature",
//    "id_card_name_mismatch",
//    "identity_not_verified" (the guest's ID card cannot be used); "stay_ended"
//    (a change to a stay checked out or cancelled); "same_room".
//  - already_exists: "room_occupied", "room_exists", "guest_twice" (one
//    person twice in a party).
//  - invalid_argument: bad input (a room number, a guest entry, no guests,
//    more than kMaxGuests).
//  - Vault refusals of the fetch come through (consent_*).
//
// Thread-safe: HotelScene keeps no state of its own outside the database.
#ifndef CITYCODE_SCENES_HOTEL_HOTEL_H_
#define CITYCODE_SCENES_HOTEL_HOTEL_H_

#include <cstddef>
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
#include "outbox/outbox.h"
#include "platform/keyring.h"
#include "platform/platform.h"
#include "store/database.h"
#include "vault/vault.h"

namespace citycode::hotel {

// The [hotel] section of citycode.toml.
struct HotelOptions {
  // The outbox destinations ([outbox] section) the reports go to; empty:
  // that report is not made (a city without the system).
  std::string police_destination = "police";
  std::string tourism_destination = "tourism";
  // A report not delivered this many hours after its event is overdue
  // (the legal deadline), 1-720.
  int report_deadline_hours = 24;
};

inline constexpr std::size_t kMaxGuests = 10;

struct Room {
  std::string id;
  std::string org_id;
  std::string number;  // "305": 1-16 printable characters, unique per hotel
  Instant created_at{};
};

// A room as the front desk sees it: free, or holding a stay in house.
struct DeskRoom {
  Room room;
  std::string stay_id;  // the stay in house; empty when the room is free
};

// How a guest was identified.
enum class GuestSource { kCode, kGuardianCode, kHand };
std::string_view GuestSourceName(GuestSource source);  // "code", "guardian_code", "hand"

// What the police report needs of a guest, sealed at rest.
struct GuestRecord {
  std::string name;
  std::string document_type;  // "resident_id_card", "passport", …
  std::string document_number;
  std::string sex;
  std::string ethnicity;   // from the ID card; "" for a passport
  std::string birth_date;  // YYYY-MM-DD
  std::string address;     // from the ID card
  std::string nationality = "CHN";
};

// A guest entered by hand at the desk.
struct HandEntry {
  GuestRecord record;
};

struct Guest {
  std::string id;
  std::string name;  // what the desk sees of a guest
  GuestSource source = GuestSource::kCode;
  bool minor = false;
  std::string entered_by;  // the clerk (staff id), for a hand entry
};

enum class StayState { kInHouse, kCheckedOut, kCancelled };
std::string_view StayStateName(StayState state);  // "in_house", "checked_out", "cancelled"

// A report's state, as the outbox has it.
struct Report {
  std::string event_id;
  std::string destination;
  std::string type;
  std::int64_t sequence = 0;
  std::string state;  // "pending", "delivered", "dead"
  std::int64_t attempts = 0;
  std::string last_error;
  Instant occurred_at{};
  bool overdue = false;  // past the deadline and not delivered
};

struct Stay {
  std::string id;
  std::string org_id;
  std::string room_id;
  std::string room_number;
  StayState state = StayState::kInHouse;
  std::vector<Guest> guests;
  std::string terminal_id;  // the desk that checked it in
  Instant checked_in_at{};
  std::optional<Instant> ended_at;
  std::vector<Report> reports;  // filled by GetStay and ListStays
};

// What the desk checks in: each guest by a code (their own, or a guardian's
// phone showing a child's), or by hand.
struct CheckInRequest {
  std::string room_id;
  std::vector<std::string> codes;
  std::vector<HandEntry> by_hand;
};

// A destination the desk's reports go to, as the outbox has it.
struct Feed {
  std::string destination;
  bool configured = false;
  std::optional<Instant> disabled_at;  // a 410 Gone turned it off
  std::int64_t pending = 0;
  std::int64_t dead = 0;
};

class HotelScene final : public api::Scene {
 public:
  // Applies the scene's migrations (versions 5001+). All must outlive it;
  // `outbox` may be null (no reports are made).
  static Result<std::unique_ptr<HotelScene>> Open(store::Database& db, const Clock& clock,
                                                  platform::Platform& platform, vault::Vault& vault,
                                                  const platform::Keyring& keyring,
                                                  outbox::Outbox* outbox, CityTime time = {},
                                                  HotelOptions options = {});
  ~HotelScene() override;
  HotelScene(const HotelScene&) = delete;
  HotelScene& operator=(const HotelScene&) = delete;

  std::vector<api::RouteSpec> Routes() override;
  // For the operator's dashboard: Check-ins and check-outs, and the stays in house now (their
  // reports to the police and tourism systems are the outbox's figures) since `since`.
  Result<nlohmann::json> Dashboard(Instant since) override;
  Status Upkeep() override;
  Status SeedDemo(api::DemoSeed& seed) override;

  // --- the hotel's setup (the caller checks who may administer `org_id`) ---
  // The licence number (1-32 printable characters); replaces an earlier one.
  Status SetLicence(std::string_view org_id, std::string_view licence_number);
  Result<Room> AddRoom(std::string_view org_id, std::string_view number);
  Result<std::vector<Room>> ListRooms(std::string_view org_id);

  // --- the front desk ---
  // The desk's hotel's rooms by number, each with the stay in house in it
  // (the desk chooses a free room for a check-in or a room change).
  Result<std::vector<DeskRoom>> DeskRooms(const platform::Principal& desk);
  Result<Stay> CheckIn(const platform::Principal& desk, const CheckInRequest& request);
  Result<Stay> ChangeRoom(const platform::Principal& desk, std::string_view stay_id,
                          std::string_view room_id);
  Result<Stay> CheckOut(const platform::Principal& desk, std::string_view stay_id);
  // An entry in error; `reason` 1-200 bytes.
  Result<Stay> Cancel(const platform::Principal& desk, std::string_view stay_id,
                      std::string_view reason);
  // With its reports.
  Result<Stay> GetStay(const platform::Principal& desk, std::string_view stay_id);
  // The hotel's stays checked in within `days` local days, newest first,
  // with their reports.
  Result<std::vector<Stay>> ListStays(const platform::Principal& desk, int days = 2);
  // The report destinations and their backlog.
  Result<std::vector<Feed>> Feeds(const platform::Principal& desk);

  // Makes the tourism platform's counts of every local hour that ended
  // (since the hotel's licence was set), once each. Upkeep calls it.
  Result<std::int64_t> ReportHourlyCounts();

 private:
  struct Impl;
  explicit HotelScene(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The scene as the scene list registers it; always on, with the [hotel]
// settings above.
std::unique_ptr<api::SceneModule> MakeHotelModule();

}  // namespace citycode::hotel

#endif  // CITYCODE_SCENES_HOTEL_HOTEL_H_
