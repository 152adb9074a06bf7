// The government service hall scene (scene gov): a district service hall or
// a street convenience centre, run by an organisation of kind service_hall
// whose sites are halls and whose terminals are kiosks and windows.
//
// - Service items (事项): what the hall handles, each with the certificate
//   types it needs from the vault.
// - Windows: terminals registered as counters of their site, each handling
//   some service items (or all of them).
// - Tickets (扫码取号): a citizen scans a code at a kiosk and gets a number
//   for one service item, "A001", "A002" … per site and local day (the
//   city's time, Asia/Shanghai by default); a window calls the oldest waiting ticket it handles.
// - Cases (亮码办事, 免证办事): at a window the citizen's code is scanned;
//   the item's required certificates are fetched from the vault under a
//   presentation grant, the clerk sees them once, and the case keeps only
//   what was checked (identifiers, type codes, checks, missing reasons),
//   never the certificates' contents.
//
// Everything lives in the database, so the queue survives a restart and
// several server processes share it. Terminals never see a citizen's id or
// any personal data except the certificates shown when a case opens.
//
// Errors (the reason() in quotes):
//  - permission_denied: the caller is no terminal of this service hall (for
//    administration calls, the caller checks access); "code_invalid" for a
//    refused code, the message naming the verifier's reason; "not_a_window"
//    for a terminal that is no registered window; "ticket_not_yours" when
//    the code is not the ticket holder's; "not_case_window" when another
//    window closes a case; "staff_required" for a printed card without a
//    clerk signed in at the window; an item, ticket or case of another
//    organisation.
//  - not_found: an unknown item, ticket, case, organisation or terminal.
//  - failed_precondition: "ticket_not_called", "case_closed",
//    "item_not_handled"; an organisation that is no service hall.
//  - invalid_argument: bad input ("unknown_type", "service_item_required").
//  - Vault refusals come through unchanged.
//
// Thread-safe: GovScene keeps no state of its own outside the database.
#ifndef CITYCODE_SCENES_GOV_GOV_H_
#define CITYCODE_SCENES_GOV_GOV_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/scene.h"
#include "common/bytes.h"
#include "common/city_time.h"
#include "common/clock.h"
#include "common/status.h"
#include "platform/platform.h"
#include "store/database.h"
#include "vault/certificate.h"
#include "vault/vault.h"

namespace citycode::gov {

struct ServiceItem {
  std::string id;
  std::string org_id;
  std::string code;  // "hukou-transfer": [a-z0-9-], 1-64 bytes, unique per organisation
  std::string name;  // as shown in the hall, e.g. "户口迁移"
  // Vault type codes (21 characters), in the order given, without repeats.
  std::vector<std::string> required_types;
  Instant created_at{};
};

struct Window {
  std::string terminal_id;
  std::string org_id;
  std::string site_id;
  std::string name;                   // "3号窗口"
  std::vector<std::string> item_ids;  // the service items it handles; empty: all
};

struct HallTerminal {
  std::optional<Window> window;
  std::vector<ServiceItem> items;
};

enum class TicketState {
  kWaiting,  // taken at a kiosk
  kCalled,   // called by a window
  kServing,  // a case was opened on it
  kDone,     // its case was completed or rejected
};
std::string_view TicketStateName(TicketState state);  // "waiting", "called", ...

// A queue ticket as terminals and the hall's display see it: no citizen data.
struct Ticket {
  std::string id;
  std::string number;  // "A001": per site and local day
  std::string org_id;
  std::string site_id;
  std::string day;  // the city's local day it was taken, YYYY-MM-DD
  std::string item_id;
  std::string item_code;
  std::string item_name;
  TicketState state = TicketState::kWaiting;
  std::string window_terminal_id;  // once called
  std::string window_name;         // once called
  Instant taken_at{};
  std::optional<Instant> called_at;
};

struct TicketReceipt {
  Ticket ticket;
  // Tickets for the same item at the same site, taken earlier today and
  // still waiting.
  std::int64_t waiting_before = 0;
};

// A site's queue for its display, today's tickets only.
struct QueueView {
  std::string site_id;
  std::string day;
  std::vector<Ticket> waiting;  // oldest first
  std::vector<Ticket> called;   // most recently called first
};

enum class CaseState { kOpen, kDone, kRejected };
std::string_view CaseStateName(CaseState state);  // "open", "done", "rejected"

// A required certificate the vault served, as the case records it.
struct ServedCertificate {
  std::string type_code;
  std::string identifier;
  bool signature_valid = false;
  bool in_validity = false;
};

// What a case keeps: ids, codes and checks; no certificate contents.
struct Case {
  std::string id;
  std::string org_id;
  std::string site_id;
  std::string item_id;
  std::string item_code;
  std::string item_name;
  std::string window_terminal_id;
  std::string ticket_id;      // empty for a case opened without a ticket
  std::string ticket_number;  // likewise
  // The platform's opaque id of the citizen whose code was shown; for the
  // library's callers (the routes do not show it to terminals).
  std::string citizen_id;
  std::string release_id;  // the vault's release; empty if nothing was fetched
  CaseState state = CaseState::kOpen;
  std::vector<ServedCertificate> served;
  // Each required type not served, with the vault's reason (not_held,
  // not_valid, expired, bad_signature) or "not_registered" when the hall is
  // not registered in the vault for that type.
  std::vector<vault::MissingCertificate> missing;
  std::string reject_reason;
  Instant opened_at{};
  std::optional<Instant> closed_at;
};

// What the window gets when it opens a case: the record plus, for the
// clerk's screen only, the certificates themselves and the vault's signed
// release (never stored by this module).
struct OpenedCase {
  Case record;
  std::vector<vault::SignedCertificate> certificates;
  std::string release_json;  // the exact text the vault signed
  std::string release_key_id;
  Bytes release_signature;
};

class GovScene final : public api::Scene {
 public:
  // Applies the scene's migrations (versions 2001+). All must outlive the
  // GovScene. `time` is the city's: queue days are its local days.
  static Result<std::unique_ptr<GovScene>> Open(store::Database& db, const Clock& clock,
                                                platform::Platform& platform, vault::Vault& vault,
                                                CityTime time = {});
  ~GovScene() override;
  GovScene(const GovScene&) = delete;
  GovScene& operator=(const GovScene&) = delete;

  // The hall's routes (gov_routes.cc).
  std::vector<api::RouteSpec> Routes() override;
  // The hall's service items and windows in the demo city (gov_demo.cc).
  Status SeedDemo(api::DemoSeed& seed) override;
  // A citizen's tickets and cases (gov_routes.cc renders them); both are
  // kept when the account is deleted: the hall's records of its work.
  Result<nlohmann::json> ExportCitizen(std::string_view citizen_id) override;
  // For the operator's dashboard: Tickets taken, and cases opened and closed (done, rejected) since
  // `since`.
  Result<nlohmann::json> Dashboard(Instant since) override;
  Result<std::vector<std::string>> EraseCitizen(std::string_view citizen_id) override;
  Result<std::vector<Ticket>> CitizenTickets(std::string_view citizen_id);
  Result<std::vector<Case>> CitizenCases(std::string_view citizen_id);

  // --- administration (the caller checks who may administer `org_id`) ---
  // `required_types` are vault type codes or keys ("resident_id_card");
  // unknown ones are invalid_argument (reason unknown_type). not_found for
  // an unknown organisation, failed_precondition if it is no service hall,
  // already_exists for a code it has already.
  Result<ServiceItem> CreateServiceItem(std::string_view org_id, std::string_view code,
                                        std::string_view name,
                                        const std::vector<std::string>& required_types);
  Result<std::vector<ServiceItem>> ListServiceItems(std::string_view org_id);
  // Makes the terminal a window of its site, or renames it and replaces its
  // items. not_found for a terminal or item not of this organisation;
  // failed_precondition for a disabled terminal.
  Result<Window> RegisterWindow(std::string_view org_id, std::string_view terminal_id,
                                std::string_view name, const std::vector<std::string>& item_ids);
  Result<std::vector<Window>> ListWindows(std::string_view org_id);

  // --- the queue ---
  // Verifies the citizen's code at a kiosk (any gov terminal of the hall)
  // and gives a ticket for `item_id` at the kiosk's site.
  Result<TicketReceipt> TakeTicket(const platform::Principal& kiosk, std::string_view qr_text,
                                   std::string_view item_id);
  // The oldest of today's waiting tickets at the window's site for an item
  // it handles, now called to this window; nullopt when none waits.
  // Concurrent calls never take the same ticket.
  Result<std::optional<Ticket>> CallNext(const platform::Principal& window);
  // The site's waiting and called tickets today; any gov terminal of the hall.
  Result<QueueView> Queue(const platform::Principal& terminal);
  // What a hall terminal is: its window (none for a kiosk) and the service
  // items it takes tickets or cases for (a window's own, else all the
  // organisation's).
  Result<HallTerminal> DescribeTerminal(const platform::Principal& terminal);

  // --- cases ---
  // Verifies the citizen's code at a window and fetches the item's required
  // certificates. With `ticket_id`: a ticket called to this window, whose
  // citizen must be the code's (the ticket becomes serving); the item is
  // the ticket's. Without: `item_id`, or the window's only item.
  Result<OpenedCase> OpenCase(const platform::Principal& window, std::string_view qr_text,
                              std::optional<std::string> ticket_id,
                              std::optional<std::string> item_id = std::nullopt);
  // Only by the window that opened the case, and only while it is open; its
  // ticket is done too.
  Result<Case> CompleteCase(const platform::Principal& window, std::string_view case_id);
  // `reason` is 1-256 bytes of UTF-8 without control characters, stored.
  Result<Case> RejectCase(const platform::Principal& window, std::string_view case_id,
                          std::string_view reason);
  // A terminal or organisation admin of the case's organisation.
  Result<Case> GetCase(const platform::Principal& principal, std::string_view case_id);

  // --- real-name identity in person ---
  // The window verifies the citizen's code, its clerk has checked the
  // physical ID card, and `person` (as read from the card) becomes the
  // account's identity at level identity_in_person, naming this window.
  // invalid_argument for a bad person (checked before the code is used);
  // permission_denied not_a_window, code_invalid as OpenCase.
  Result<platform::IdentityStatus> ConfirmIdentity(const platform::Principal& window,
                                                   std::string_view qr_text,
                                                   const platform::Person& person);

  // --- printed cards (platform/cards.h), for people without a smartphone ---
  // At a window with its clerk signed in, the clerk having checked the
  // physical ID card of `person` (no code: the person may have no phone):
  // a printed card for that person's account, which is verified in person
  // at this window (a person verified nowhere gets a held account). Its QR
  // text is in the answer once, to print; nothing of it is kept here.
  // permission_denied staff_required (no clerk signed in), not_a_window;
  // the platform's refusals (person_mismatch, invalid_argument) unchanged.
  Result<platform::IssuedCard> IssueCard(const platform::Principal& window,
                                         const platform::Person& person);
  // The same window and clerk revoke the person's live card at once (a
  // lost or stolen card). not_found no_card when there is none.
  Status RevokeCard(const platform::Principal& window, const platform::Person& person);

 private:
  struct Impl;
  explicit GovScene(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The scene's tables, for tools that migrate without opening a GovScene.
std::span<const store::Migration> Migrations();

// The scene as the scene list registers it; it has no settings and is
// always on.
std::unique_ptr<api::SceneModule> MakeGovModule();

}  // namespace citycode::gov

#endif  // CITYCODE_SCENES_GOV_GOV_H_
