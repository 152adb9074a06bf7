// The service hall scene: service items, windows, the ticket queue and
// cases. Every state change is one conditional statement in a write
// transaction, so concurrent kiosks and windows (and several server
// processes) never hand out a number or a ticket twice.
#include "scenes/gov/gov.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <utility>

#include "api/figures.h"
#include "code/verifier.h"
#include "common/words.h"
#include "crypto/random.h"
#include "vault/certificate_types.h"

namespace citycode::gov {
namespace {

using platform::Principal;
using platform::Role;

// Times are unix seconds; ids are random. Lists of codes or ids are stored
// space-separated (none contains a space). A ticket's citizen_id is the
// platform's opaque id, kept to match the citizen at the window; cases keep
// no certificate contents, only what was checked.
const std::array<store::Migration, 2> kMigrations = {{
    {2001, "gov",
     R"sql(
CREATE TABLE gov_service_items (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  required_types TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (org_id, code)
);
CREATE TABLE gov_windows (
  terminal_id TEXT PRIMARY KEY REFERENCES terminals(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  site_id TEXT NOT NULL REFERENCES sites(id),
  name TEXT NOT NULL,
  item_ids TEXT NOT NULL,            -- '' = every item
  updated_at BIGINT NOT NULL
);
CREATE INDEX gov_windows_org ON gov_windows(org_id);
-- The last number handed out per site and local day.
CREATE TABLE gov_counters (
  site_id TEXT NOT NULL REFERENCES sites(id),
  day TEXT NOT NULL,
  next BIGINT NOT NULL,
  PRIMARY KEY (site_id, day)
);
CREATE TABLE gov_tickets (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  site_id TEXT NOT NULL REFERENCES sites(id),
  day TEXT NOT NULL,
  seq BIGINT NOT NULL,
  number TEXT NOT NULL,
  item_id TEXT NOT NULL REFERENCES gov_service_items(id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  verification_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'done')),
  window_terminal_id TEXT REFERENCES terminals(id),
  taken_at BIGINT NOT NULL,
  called_at BIGINT,
  ended_at BIGINT,
  UNIQUE (site_id, day, seq)
);
CREATE INDEX gov_tickets_queue ON gov_tickets(site_id, day, state, seq);
CREATE TABLE gov_cases (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  site_id TEXT NOT NULL REFERENCES sites(id),
  item_id TEXT NOT NULL REFERENCES gov_service_items(id),
  window_terminal_id TEXT NOT NULL REFERENCES terminals(id),
  ticket_id TEXT REFERENCES gov_tickets(id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  verification_id TEXT NOT NULL,
  release_id TEXT NOT NULL,          -- '' when nothing was fetched
  state TEXT NOT NULL CHECK (state IN ('open', 'done', 'rejected')),
  reject_reason TEXT NOT NULL,
  opened_at BIGINT NOT NULL,
  closed_at BIGINT
);
CREATE INDEX gov_cases_org ON gov_cases(org_id, opened_at);
-- One row per certificate served or required type missing.
CREATE TABLE gov_case_certificates (
  case_id TEXT NOT NULL REFERENCES gov_cases(id),
  seq BIGINT NOT NULL,
  type_code TEXT NOT NULL,
  identifier TEXT,                   -- served
  signature_valid BIGINT NOT NULL,
  in_validity BIGINT NOT NULL,
  missing_reason TEXT,               -- not served
  PRIMARY KEY (case_id, seq)
);
)sql"},
    // A citizen's own tickets and cases, for their data export.
    {2002, "gov_citizen_indexes", R"sql(
CREATE INDEX gov_tickets_citizen ON gov_tickets(citizen_id);
CREATE INDEX gov_cases_citizen ON gov_cases(citizen_id);
)sql"},
}};

constexpr std::size_t kMaxItemCode = 64;
constexpr std::size_t kMaxItemName = 128;  // so "name (code)" fits a 256-byte use-cause
constexpr std::size_t kMaxWindowName = 64;
constexpr std::size_t kMaxRejectReason = 256;
// Rounds of "pick the oldest, claim it if still waiting" before giving the
// transaction back to RunInTransaction; only concurrent windows make a
// round fail.
constexpr int kMaxClaimRounds = 50;

using crypto::RandomId;
using store::Int;
using store::Text;
using store::Time;

store::Value OptionalText(std::string_view v) {
  return v.empty() ? store::Value(nullptr) : store::Value(std::string(v));
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF)
// without C0 controls or DEL.
bool IsCleanUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t value = 0;
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      value = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      value = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      value = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      value = (value << 6) | (next & 0x3f);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kMinimum[length] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
      return false;
    }
    if (value >= 0x80 && value < 0xa0) return false;  // C1 controls
    i += length;
  }
  return true;
}

Status CheckText(std::string_view text, std::size_t max_bytes, std::string_view what) {
  if (text.empty() || text.size() > max_bytes) {
    return InvalidArgument(std::string(what) + " must be 1-" + std::to_string(max_bytes) +
                           " bytes");
  }
  if (!IsCleanUtf8(text)) {
    return InvalidArgument(std::string(what) + " must be UTF-8 without control characters");
  }
  return OkStatus();
}

Status CheckItemCode(std::string_view code) {
  const bool shaped = !code.empty() && code.size() <= kMaxItemCode &&
                      std::all_of(code.begin(), code.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                      });
  if (!shaped) return InvalidArgument("a service item code is 1-64 of [a-z0-9-]");
  return OkStatus();
}

std::string TicketNumber(std::int64_t seq) {
  char text[24];
  std::snprintf(text, sizeof text, "A%03lld", static_cast<long long>(seq));
  return text;
}

Result<TicketState> TicketStateFromName(std::string_view name) {
  for (TicketState state :
       {TicketState::kWaiting, TicketState::kCalled, TicketState::kServing, TicketState::kDone}) {
    if (name == TicketStateName(state)) return state;
  }
  return Internal("unknown ticket state in the store");
}

Result<CaseState> CaseStateFromName(std::string_view name) {
  for (CaseState state : {CaseState::kOpen, CaseState::kDone, CaseState::kRejected}) {
    if (name == CaseStateName(state)) return state;
  }
  return Internal("unknown case state in the store");
}

// --- refusals ---

Status NotAHallTerminal() {
  return PermissionDenied("only a terminal of a service hall may do this");
}

Status RequireHallTerminal(const Principal& who) {
  if (who.role != Role::kTerminal || who.scene != code::Scene::kGov || who.org_id.empty() ||
      who.site_id.empty()) {
    return NotAHallTerminal();
  }
  return OkStatus();
}

// --- rows ---

constexpr std::string_view kItemSelect =
    "SELECT id, org_id, code, name, required_types, created_at FROM gov_service_items";

ServiceItem ItemFromRow(const store::Row& row) {
  return {.id = row.Text(0),
          .org_id = row.Text(1),
          .code = row.Text(2),
          .name = row.Text(3),
          .required_types = SplitWords(row.Text(4)),
          .created_at = FromUnixSeconds(row.Int(5))};
}

// The item if it is `org_id`'s; permission_denied for another
// organisation's (ids are random, so this confirms nothing guessable).
Result<ServiceItem> LoadItem(store::Transaction& tx, std::string_view org_id,
                             std::string_view item_id) {
  const store::Value params[] = {Text(item_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row,
                            tx.QueryOptional(std::string(kItemSelect) + " WHERE id = ?", params));
  if (!row) return NotFound("no such service item");
  ServiceItem item = ItemFromRow(*row);
  if (item.org_id != org_id) return PermissionDenied("the service item is another organisation's");
  return item;
}

constexpr std::string_view kWindowSelect =
    "SELECT terminal_id, org_id, site_id, name, item_ids FROM gov_windows";

Window WindowFromRow(const store::Row& row) {
  return {.terminal_id = row.Text(0),
          .org_id = row.Text(1),
          .site_id = row.Text(2),
          .name = row.Text(3),
          .item_ids = SplitWords(row.Text(4))};
}

// The calling terminal's window registration.
Result<Window> LoadWindow(store::Transaction& tx, const Principal& who) {
  const store::Value params[] = {Text(who.terminal_id), Text(who.org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional(
                    std::string(kWindowSelect) + " WHERE terminal_id = ? AND org_id = ?", params));
  if (!row) {
    return Status(StatusCode::kPermissionDenied, "this terminal is not a registered window",
                  "not_a_window");
  }
  return WindowFromRow(*row);
}

constexpr std::string_view kTicketSelect =
    "SELECT t.id, t.number, t.org_id, t.site_id, t.day, t.item_id, i.code, i.name, t.state, "
    "t.window_terminal_id, w.name, t.taken_at, t.called_at, t.citizen_id FROM gov_tickets t "
    "JOIN gov_service_items i ON i.id = t.item_id "
    "LEFT JOIN gov_windows w ON w.terminal_id = t.window_terminal_id";

struct TicketRow {
  Ticket ticket;
  std::string citizen_id;  // never leaves this file
};

Result<TicketRow> TicketFromRow(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(TicketState state, TicketStateFromName(row.Text(8)));
  TicketRow out{.ticket = {.id = row.Text(0),
                           .number = row.Text(1),
                           .org_id = row.Text(2),
                           .site_id = row.Text(3),
                           .day = row.Text(4),
                           .item_id = row.Text(5),
                           .item_code = row.Text(6),
                           .item_name = row.Text(7),
                           .state = state,
                           .window_terminal_id = row.OptionalText(9).value_or(""),
                           .window_name = row.OptionalText(10).value_or(""),
                           .taken_at = FromUnixSeconds(row.Int(11))},
                .citizen_id = row.Text(13)};
  if (auto called = row.OptionalInt(12)) out.ticket.called_at = FromUnixSeconds(*called);
  return out;
}

Result<std::optional<TicketRow>> FindTicket(store::Transaction& tx, std::string_view ticket_id) {
  const store::Value params[] = {Text(ticket_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional(std::string(kTicketSelect) + " WHERE t.id = ?", params));
  if (!row) return std::optional<TicketRow>();
  CITYCODE_ASSIGN_OR_RETURN(TicketRow ticket, TicketFromRow(*row));
  return std::optional<TicketRow>(std::move(ticket));
}

Result<std::vector<Ticket>> QueryTickets(store::Transaction& tx, std::string_view where,
                                         std::span<const store::Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx.Query(std::string(kTicketSelect) + " " + std::string(where), params));
  std::vector<Ticket> out;
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(TicketRow ticket, TicketFromRow(row));
    out.push_back(std::move(ticket.ticket));
  }
  return out;
}

constexpr std::string_view kCaseSelect =
    "SELECT c.id, c.org_id, c.site_id, c.item_id, i.code, i.name, c.window_terminal_id, "
    "c.ticket_id, t.number, c.citizen_id, c.release_id, c.state, c.reject_reason, c.opened_at, "
    "c.closed_at FROM gov_cases c JOIN gov_service_items i ON i.id = c.item_id "
    "LEFT JOIN gov_tickets t ON t.id = c.ticket_id WHERE c.id = ?";

constexpr std::string_view kCaseCertificatesSelect =
    "SELECT type_code, identifier, signature_valid, in_validity, missing_reason FROM "
    "gov_case_certificates WHERE case_id = ? ORDER BY seq";

Result<std::optional<Case>> FindCase(store::Transaction& tx, std::string_view case_id) {
  const store::Value params[] = {Text(case_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOptional(kCaseSelect, params));
  if (!row) return std::optional<Case>();
  CITYCODE_ASSIGN_OR_RETURN(CaseState state, CaseStateFromName(row->Text(11)));
  Case out{.id = row->Text(0),
           .org_id = row->Text(1),
           .site_id = row->Text(2),
           .item_id = row->Text(3),
           .item_code = row->Text(4),
           .item_name = row->Text(5),
           .window_terminal_id = row->Text(6),
           .ticket_id = row->OptionalText(7).value_or(""),
           .ticket_number = row->OptionalText(8).value_or(""),
           .citizen_id = row->Text(9),
           .release_id = row->Text(10),
           .state = state,
           .reject_reason = row->Text(12),
           .opened_at = FromUnixSeconds(row->Int(13))};
  if (auto closed = row->OptionalInt(14)) out.closed_at = FromUnixSeconds(*closed);
  CITYCODE_ASSIGN_OR_RETURN(auto checks, tx.Query(kCaseCertificatesSelect, params));
  for (const store::Row& check : checks) {
    if (auto identifier = check.OptionalText(1)) {
      out.served.push_back({.type_code = check.Text(0),
                            .identifier = *identifier,
                            .signature_valid = check.Int(2) != 0,
                            .in_validity = check.Int(3) != 0});
    } else {
      out.missing.push_back(
          {.type_code = check.Text(0), .reason = check.OptionalText(4).value_or("")});
    }
  }
  return std::optional<Case>(std::move(out));
}

// For each required type, in order: the certificates served, or why none was.
void SortOutCertificates(const std::vector<std::string>& required,
                         const std::optional<vault::Grant>& grant,
                         const std::optional<vault::Release>& release, Case& record) {
  for (const std::string& type_code : required) {
    bool served = false;
    if (release) {
      for (const vault::FetchedCertificate& fetched : release->certificates) {
        if (fetched.certificate.certificate.type_code != type_code) continue;
        record.served.push_back({.type_code = type_code,
                                 .identifier = fetched.certificate.certificate.identifier,
                                 .signature_valid = fetched.signature_valid,
                                 .in_validity = fetched.in_validity});
        served = true;
      }
    }
    if (served) continue;
    std::string reason = "not_registered";  // the vault left it out of the grant
    if (release && grant && Contains(grant->type_codes, type_code)) {
      reason = "not_held";
      for (const vault::MissingCertificate& missing : release->missing) {
        if (missing.type_code == type_code) reason = missing.reason;
      }
    }
    record.missing.push_back({.type_code = type_code, .reason = std::move(reason)});
  }
}

}  // namespace

std::string_view TicketStateName(TicketState state) {
  switch (state) {
    case TicketState::kWaiting: return "waiting";
    case TicketState::kCalled: return "called";
    case TicketState::kServing: return "serving";
    case TicketState::kDone: return "done";
  }
  return "unknown";
}

std::string_view CaseStateName(CaseState state) {
  switch (state) {
    case CaseState::kOpen: return "open";
    case CaseState::kDone: return "done";
    case CaseState::kRejected: return "rejected";
  }
  return "unknown";
}

std::span<const store::Migration> Migrations() { return kMigrations; }

struct GovScene::Impl {
  store::Database& db;
  const Clock& clock;
  platform::Platform& platform;
  vault::Vault& vault;
  CityTime time;

  // The city's local day of `t`, YYYY-MM-DD: tickets are numbered per day.
  std::string LocalDay(Instant t) const { return FormatIsoDay(time.LocalDay(t)); }

  // Ends an open case as `state`, by the window that opened it.
  Result<Case> CloseCase(const Principal& window, std::string_view case_id, CaseState state,
                         std::string_view reason) {
    CITYCODE_RETURN_IF_ERROR(RequireHallTerminal(window));
    Case closed;
    CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
        db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
          CITYCODE_ASSIGN_OR_RETURN(std::optional<Case> found, FindCase(tx, case_id));
          if (!found) return NotFound("no such case");
          if (found->org_id != window.org_id || found->window_terminal_id != window.terminal_id) {
            return Status(StatusCode::kPermissionDenied,
                          "only the window that opened the case may close it", "not_case_window");
          }
          const Instant now = clock.Now();
          const store::Value params[] = {Text(CaseStateName(state)), Text(reason), Time(now),
                                         Text(case_id)};
          CITYCODE_ASSIGN_OR_RETURN(auto changed,
                                    tx.Execute("UPDATE gov_cases SET state = ?, reject_reason = ?, "
                                               "closed_at = ? WHERE id = ? AND state = 'open'",
                                               params));
          if (changed != 1) {
            return Status(StatusCode::kFailedPrecondition, "the case is closed already",
                          "case_closed");
          }
          if (!found->ticket_id.empty()) {
            const store::Value ticket[] = {Time(now), Text(found->ticket_id)};
            CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE gov_tickets SET state = 'done', "
                                                "ended_at = ? WHERE id = ? AND state = 'serving'",
                                                ticket)
                                         .status());
          }
          found->state = state;
          found->reject_reason = std::string(reason);
          found->closed_at = now;
          closed = std::move(*found);
          return OkStatus();
        }));
    return closed;
  }
};

GovScene::GovScene(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GovScene::~GovScene() = default;

Result<std::unique_ptr<GovScene>> GovScene::Open(store::Database& db, const Clock& clock,
                                                 platform::Platform& platform, vault::Vault& vault,
                                                 CityTime time) {
  CITYCODE_RETURN_IF_ERROR(db.Migrate(kMigrations));
  return std::unique_ptr<GovScene>(new GovScene(std::make_unique<Impl>(
      Impl{.db = db, .clock = clock, .platform = platform, .vault = vault, .time = time})));
}

// --- administration ---

Result<ServiceItem> GovScene::CreateServiceItem(std::string_view org_id, std::string_view code,
                                                std::string_view name,
                                                const std::vector<std::string>& required_types) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(CheckItemCode(code));
  CITYCODE_RETURN_IF_ERROR(CheckText(name, kMaxItemName, "a service item name"));
  ServiceItem item{.id = RandomId("gsi"),
                   .org_id = std::string(org_id),
                   .code = std::string(code),
                   .name = std::string(name),
                   .created_at = impl.clock.Now()};
  for (const std::string& type : required_types) {
    CITYCODE_ASSIGN_OR_RETURN(const vault::CertificateType* resolved, vault::ResolveType(type));
    if (!Contains(item.required_types, resolved->code)) {
      item.required_types.push_back(resolved->code);
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org, impl.platform.organisations().Get(org_id));
  if (org.kind != platform::OrgKind::kServiceHall) {
    return FailedPrecondition("only a service hall has service items");
  }
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value params[] = {Text(item.id),
                                       Text(item.org_id),
                                       Text(item.code),
                                       Text(item.name),
                                       Text(JoinWords(item.required_types)),
                                       Time(item.created_at)};
        auto inserted = tx.Execute(
            "INSERT INTO gov_service_items (id, org_id, code, name, required_types, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            params);
        if (inserted.status().code() == StatusCode::kAlreadyExists) {
          return AlreadyExists("this hall has a service item with that code");
        }
        return inserted.status();
      }));
  return item;
}

Result<std::vector<ServiceItem>> GovScene::ListServiceItems(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query(std::string(kItemSelect) + " WHERE org_id = ? ORDER BY code", params));
  std::vector<ServiceItem> items;
  for (const store::Row& row : rows) items.push_back(ItemFromRow(row));
  return items;
}

Result<Window> GovScene::RegisterWindow(std::string_view org_id, std::string_view terminal_id,
                                        std::string_view name,
                                        const std::vector<std::string>& item_ids) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(CheckText(name, kMaxWindowName, "a window name"));
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org, impl.platform.organisations().Get(org_id));
  if (org.kind != platform::OrgKind::kServiceHall) {
    return FailedPrecondition("only a service hall has windows");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::vector<platform::Terminal> terminals,
                            impl.platform.access_keys().ListTerminals(org_id));
  auto terminal = std::find_if(terminals.begin(), terminals.end(),
                               [&](const platform::Terminal& t) { return t.id == terminal_id; });
  if (terminal == terminals.end()) return NotFound("no such terminal in this organisation");
  if (!terminal->active) return FailedPrecondition("the terminal is disabled");
  Window window{.terminal_id = terminal->id,
                .org_id = std::string(org_id),
                .site_id = terminal->site_id,
                .name = std::string(name)};
  for (const std::string& id : item_ids) {
    if (!Contains(window.item_ids, id)) window.item_ids.push_back(id);
  }
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        for (const std::string& id : window.item_ids) {
          CITYCODE_RETURN_IF_ERROR(LoadItem(tx, org_id, id).status());
        }
        const store::Value params[] = {Text(window.terminal_id),
                                       Text(window.org_id),
                                       Text(window.site_id),
                                       Text(window.name),
                                       Text(JoinWords(window.item_ids)),
                                       Time(impl.clock.Now())};
        return tx
            .Execute(
                "INSERT INTO gov_windows (terminal_id, org_id, site_id, name, item_ids, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (terminal_id) DO UPDATE SET "
                "name = excluded.name, item_ids = excluded.item_ids, "
                "updated_at = excluded.updated_at",
                params)
            .status();
      }));
  return window;
}

Result<std::vector<Window>> GovScene::ListWindows(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows,
                            tx->Query(std::string(kWindowSelect) +
                                          " WHERE org_id = ? ORDER BY site_id, name, terminal_id",
                                      params));
  std::vector<Window> windows;
  for (const store::Row& row : rows) windows.push_back(WindowFromRow(row));
  return windows;
}

// --- the queue ---

Result<TicketReceipt> GovScene::TakeTicket(const Principal& kiosk, std::string_view qr_text,
                                           std::string_view item_id) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(RequireHallTerminal(kiosk));
  // The item first: a request that cannot succeed does not use up the code.
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_RETURN_IF_ERROR(LoadItem(*tx, kiosk.org_id, item_id).status());
  }
  CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                            impl.platform.verification().VerifyForAction(kiosk, qr_text));
  TicketReceipt receipt;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const Instant now = impl.clock.Now();
        const std::string day = impl.LocalDay(now);
        // One statement allocates the number: the row lock (PostgreSQL) or
        // the write lock (SQLite) orders concurrent kiosks.
        const store::Value counter[] = {Text(kiosk.site_id), Text(day)};
        CITYCODE_ASSIGN_OR_RETURN(
            store::Row next,
            tx.QueryOne("INSERT INTO gov_counters (site_id, day, next) VALUES (?, ?, 1) "
                        "ON CONFLICT (site_id, day) DO UPDATE SET next = gov_counters.next + 1 "
                        "RETURNING next",
                        counter));
        const std::int64_t seq = next.Int(0);
        const std::string id = RandomId("tkt");
        const store::Value params[] = {Text(id),
                                       Text(kiosk.org_id),
                                       Text(kiosk.site_id),
                                       Text(day),
                                       Int(seq),
                                       Text(TicketNumber(seq)),
                                       Text(item_id),
                                       Text(verification.citizen_id),
                                       Text(verification.verification_id),
                                       Time(now)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO gov_tickets (id, org_id, site_id, day, seq, number, item_id, "
                       "citizen_id, verification_id, state, taken_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?)",
                       params)
                .status());
        const store::Value before[] = {Text(kiosk.site_id), Text(day), Text(item_id), Int(seq)};
        CITYCODE_ASSIGN_OR_RETURN(
            store::Row count,
            tx.QueryOne("SELECT CAST(COUNT(*) AS BIGINT) FROM gov_tickets WHERE site_id = ? AND "
                        "day = ? AND item_id = ? AND state = 'waiting' AND seq < ?",
                        before));
        receipt.waiting_before = count.Int(0);
        CITYCODE_ASSIGN_OR_RETURN(std::optional<TicketRow> ticket, FindTicket(tx, id));
        if (!ticket) return Internal("the new ticket is not in the store");
        receipt.ticket = std::move(ticket->ticket);
        return OkStatus();
      }));
  return receipt;
}

Result<std::optional<Ticket>> GovScene::CallNext(const Principal& window) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(RequireHallTerminal(window));
  std::optional<Ticket> called;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        called.reset();
        CITYCODE_ASSIGN_OR_RETURN(Window registered, LoadWindow(tx, window));
        const Instant now = impl.clock.Now();
        std::vector<store::Value> params = {Text(registered.site_id), Text(impl.LocalDay(now))};
        std::string pick =
            "SELECT id FROM gov_tickets WHERE site_id = ? AND day = ? AND state = 'waiting'";
        if (!registered.item_ids.empty()) {
          pick += " AND item_id IN (";
          for (std::size_t i = 0; i < registered.item_ids.size(); ++i) {
            pick += i == 0 ? "?" : ", ?";
            params.push_back(Text(registered.item_ids[i]));
          }
          pick += ")";
        }
        pick += " ORDER BY seq LIMIT 1";
        for (int round = 0; round < kMaxClaimRounds; ++round) {
          CITYCODE_ASSIGN_OR_RETURN(std::optional<store::Row> oldest,
                                    tx.QueryOptional(pick, params));
          if (!oldest) return OkStatus();
          // Conditional: a window that picked the same ticket concurrently
          // and claimed it first leaves this one with 0 rows, and it picks
          // again (PostgreSQL's read committed sees the other's commit).
          const store::Value claim[] = {Text(window.terminal_id), Time(now), Text(oldest->Text(0))};
          CITYCODE_ASSIGN_OR_RETURN(
              auto claimed, tx.Execute("UPDATE gov_tickets SET state = 'called', "
                                       "window_terminal_id = ?, called_at = ? WHERE id = ? AND "
                                       "state = 'waiting'",
                                       claim));
          if (claimed != 1) continue;
          CITYCODE_ASSIGN_OR_RETURN(std::optional<TicketRow> ticket,
                                    FindTicket(tx, oldest->Text(0)));
          if (!ticket) return Internal("the called ticket is not in the store");
          called = std::move(ticket->ticket);
          return OkStatus();
        }
        return Aborted("other windows kept taking the next ticket first");
      }));
  return called;
}

Result<QueueView> GovScene::Queue(const Principal& terminal) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(RequireHallTerminal(terminal));
  QueueView view{.site_id = terminal.site_id, .day = impl.LocalDay(impl.clock.Now())};
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(view.site_id), Text(view.day)};
  CITYCODE_ASSIGN_OR_RETURN(
      view.waiting,
      QueryTickets(*tx, "WHERE t.site_id = ? AND t.day = ? AND t.state = 'waiting' ORDER BY t.seq",
                   params));
  CITYCODE_ASSIGN_OR_RETURN(view.called,
                            QueryTickets(*tx,
                                         "WHERE t.site_id = ? AND t.day = ? AND t.state = 'called' "
                                         "ORDER BY t.called_at DESC, t.seq DESC",
                                         params));
  return view;
}

Result<HallTerminal> GovScene::DescribeTerminal(const Principal& terminal) {
  CITYCODE_RETURN_IF_ERROR(RequireHallTerminal(terminal));
  HallTerminal hall;
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Window> windows, ListWindows(terminal.org_id));
  for (Window& w : windows) {
    if (w.terminal_id == terminal.terminal_id) hall.window = std::move(w);
  }
  CITYCODE_ASSIGN_OR_RETURN(hall.items, ListServiceItems(terminal.org_id));
  if (hall.window && !hall.window->item_ids.empty()) {
    const auto& handled = hall.window->item_ids;
    std::erase_if(hall.items, [&](const ServiceItem& item) {
      return std::find(handled.begin(), handled.end(), item.id) == handled.end();
    });
  }
  return hall;
}

// --- cases ---

Result<OpenedCase> GovScene::OpenCase(const Principal& window, std::string_view qr_text,
                                      std::optional<std::string> ticket_id,
                                      std::optional<std::string> item_id) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(RequireHallTerminal(window));

  // What the case is about, checked before the code is used up.
  ServiceItem item;
  std::optional<TicketRow> ticket;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(Window registered, LoadWindow(*tx, window));
    if (ticket_id) {
      CITYCODE_ASSIGN_OR_RETURN(ticket, FindTicket(*tx, *ticket_id));
      if (!ticket) return NotFound("no such ticket");
      if (ticket->ticket.org_id != window.org_id) {
        return PermissionDenied("the ticket is another organisation's");
      }
      if (ticket->ticket.state != TicketState::kCalled ||
          ticket->ticket.window_terminal_id != window.terminal_id) {
        return Status(StatusCode::kFailedPrecondition,
                      "the ticket is not one called to this window", "ticket_not_called");
      }
      if (item_id && *item_id != ticket->ticket.item_id) {
        return InvalidArgument("the ticket is for another service item");
      }
      item_id = ticket->ticket.item_id;
    } else if (!item_id) {
      if (registered.item_ids.size() != 1) {
        return Status(StatusCode::kInvalidArgument,
                      "without a ticket, name the service item (the window handles several)",
                      "service_item_required");
      }
      item_id = registered.item_ids.front();
    } else if (!registered.item_ids.empty() && !Contains(registered.item_ids, *item_id)) {
      return Status(StatusCode::kFailedPrecondition, "this window does not handle that item",
                    "item_not_handled");
    }
    CITYCODE_ASSIGN_OR_RETURN(item, LoadItem(*tx, window.org_id, *item_id));
  }

  CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                            impl.platform.verification().VerifyForAction(window, qr_text));
  if (ticket && ticket->citizen_id != verification.citizen_id) {
    return Status(StatusCode::kPermissionDenied, "the code is not the ticket holder's",
                  "ticket_not_yours");
  }

  OpenedCase opened;
  Case& record = opened.record;
  record = Case{.id = RandomId("case"),
                .org_id = window.org_id,
                .site_id = window.site_id,
                .item_id = item.id,
                .item_code = item.code,
                .item_name = item.name,
                .window_terminal_id = window.terminal_id,
                .ticket_id = ticket ? ticket->ticket.id : std::string(),
                .ticket_number = ticket ? ticket->ticket.number : std::string(),
                .citizen_id = verification.citizen_id,
                .state = CaseState::kOpen};

  // An item that needs no certificate fetches nothing (an empty type list
  // would ask the vault for the hall's default on-presentation types).
  std::optional<vault::Grant> grant;
  std::optional<vault::Release> release;
  if (!item.required_types.empty()) {
    CITYCODE_ASSIGN_OR_RETURN(
        grant, impl.vault.GrantPresentation(window, verification.citizen_id,
                                            verification.verification_id, item.required_types));
    if (grant) {
      CITYCODE_ASSIGN_OR_RETURN(
          release, impl.vault.Fetch(window, {.grant_id = grant->id,
                                             .type_codes = {},
                                             .use_cause = item.name + " (" + item.code + ")"}));
    }
  }
  SortOutCertificates(item.required_types, grant, release, record);
  if (release) {
    record.release_id = release->id;
    for (vault::FetchedCertificate& fetched : release->certificates) {
      opened.certificates.push_back(std::move(fetched.certificate));
    }
    opened.release_json = std::move(release->release_json);
    opened.release_key_id = std::move(release->key_id);
    opened.release_signature = std::move(release->signature);
  }

  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const Instant now = impl.clock.Now();
        record.opened_at = now;
        if (ticket) {
          // Conditional: the ticket may have been taken into another case
          // while the certificates were fetched.
          const store::Value serve[] = {Text(record.ticket_id), Text(window.terminal_id)};
          CITYCODE_ASSIGN_OR_RETURN(
              auto changed, tx.Execute("UPDATE gov_tickets SET state = 'serving' WHERE id = ? "
                                       "AND window_terminal_id = ? AND state = 'called'",
                                       serve));
          if (changed != 1) {
            return Status(StatusCode::kFailedPrecondition,
                          "the ticket is not one called to this window", "ticket_not_called");
          }
        }
        const store::Value params[] = {Text(record.id),
                                       Text(record.org_id),
                                       Text(record.site_id),
                                       Text(record.item_id),
                                       Text(record.window_terminal_id),
                                       OptionalText(record.ticket_id),
                                       Text(record.citizen_id),
                                       Text(verification.verification_id),
                                       Text(record.release_id),
                                       Time(now)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO gov_cases (id, org_id, site_id, item_id, window_terminal_id, "
                       "ticket_id, citizen_id, verification_id, release_id, state, "
                       "reject_reason, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', '', "
                       "?)",
                       params)
                .status());
        std::int64_t seq = 0;
        constexpr std::string_view kInsertCheck =
            "INSERT INTO gov_case_certificates (case_id, seq, type_code, identifier, "
            "signature_valid, in_validity, missing_reason) VALUES (?, ?, ?, ?, ?, ?, ?)";
        for (const ServedCertificate& served : record.served) {
          const store::Value check[] = {Text(record.id),
                                        Int(seq++),
                                        Text(served.type_code),
                                        Text(served.identifier),
                                        Int(served.signature_valid ? 1 : 0),
                                        Int(served.in_validity ? 1 : 0),
                                        store::Value(nullptr)};
          CITYCODE_RETURN_IF_ERROR(tx.Execute(kInsertCheck, check).status());
        }
        for (const vault::MissingCertificate& missing : record.missing) {
          const store::Value check[] = {Text(record.id),       Int(seq++), Text(missing.type_code),
                                        store::Value(nullptr), Int(0),     Int(0),
                                        Text(missing.reason)};
          CITYCODE_RETURN_IF_ERROR(tx.Execute(kInsertCheck, check).status());
        }
        return OkStatus();
      }));
  return opened;
}

Result<Case> GovScene::CompleteCase(const Principal& window, std::string_view case_id) {
  return impl_->CloseCase(window, case_id, CaseState::kDone, "");
}

Result<Case> GovScene::RejectCase(const Principal& window, std::string_view case_id,
                                  std::string_view reason) {
  CITYCODE_RETURN_IF_ERROR(CheckText(reason, kMaxRejectReason, "a rejection reason"));
  return impl_->CloseCase(window, case_id, CaseState::kRejected, reason);
}

Result<std::vector<Ticket>> GovScene::CitizenTickets(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  return QueryTickets(*tx, "WHERE t.citizen_id = ? ORDER BY t.taken_at, t.id", params);
}

Result<std::vector<Case>> GovScene::CitizenCases(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query("SELECT id FROM gov_cases WHERE citizen_id = ? ORDER BY opened_at, id", params));
  std::vector<Case> out;
  for (const store::Row& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(std::optional<Case> found, FindCase(*tx, row.Text(0)));
    if (found) out.push_back(*std::move(found));
  }
  return out;
}

Result<Case> GovScene::GetCase(const Principal& principal, std::string_view case_id) {
  const bool hall_terminal = RequireHallTerminal(principal).ok();
  const bool org_admin = principal.role == Role::kOrgAdmin && !principal.org_id.empty();
  if (!hall_terminal && !org_admin) {
    return PermissionDenied("only the hall's terminals and administrators see its cases");
  }
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(std::optional<Case> found, FindCase(*tx, case_id));
  if (!found) return NotFound("no such case");
  if (found->org_id != principal.org_id) {
    return PermissionDenied("the case belongs to another organisation");
  }
  return std::move(*found);
}

namespace {

class GovModule final : public api::SceneModule {
 public:
  std::string_view name() const override { return "gov"; }
  code::Scene kind() const override { return code::Scene::kGov; }
  int migration_block() const override { return 2000; }
  Result<std::unique_ptr<api::Scene>> Open(const api::SceneContext& context) override {
    CITYCODE_ASSIGN_OR_RETURN(
        std::unique_ptr<GovScene> scene,
        GovScene::Open(context.db, context.clock, context.platform, context.vault, context.time));
    return std::unique_ptr<api::Scene>(std::move(scene));
  }
};

}  // namespace

std::unique_ptr<api::SceneModule> MakeGovModule() { return std::make_unique<GovModule>(); }

Result<platform::IdentityStatus> GovScene::ConfirmIdentity(const Principal& window,
                                                           std::string_view qr_text,
                                                           const platform::Person& person) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(platform::CheckPerson(person.name, person.id_number, impl.clock.Now()));
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_RETURN_IF_ERROR(LoadWindow(*tx, window).status());
  }
  CITYCODE_ASSIGN_OR_RETURN(platform::OnlineVerification verification,
                            impl.platform.verification().VerifyForAction(window, qr_text));
  return impl.platform.identities().ConfirmInPerson(verification.citizen_id, person,
                                                    window.terminal_id);
}

namespace {

// A printed card is handed over by a person: the window's clerk, signed in.
Status CheckClerk(const Principal& window) {
  if (window.staff_id.empty()) {
    return PermissionDenied("a printed card needs the clerk signed in at the window",
                            "staff_required");
  }
  return OkStatus();
}

}  // namespace

Result<platform::IssuedCard> GovScene::IssueCard(const Principal& window,
                                                 const platform::Person& person) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(CheckClerk(window));
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_RETURN_IF_ERROR(LoadWindow(*tx, window).status());
  }
  return impl.platform.cards().IssueToPerson(
      person, {.terminal_id = window.terminal_id, .staff_id = window.staff_id});
}

Status GovScene::RevokeCard(const Principal& window, const platform::Person& person) {
  Impl& impl = *impl_;
  CITYCODE_RETURN_IF_ERROR(CheckClerk(window));
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    CITYCODE_RETURN_IF_ERROR(LoadWindow(*tx, window).status());
  }
  return impl.platform.cards().RevokeForPerson(person, "revoked_at_window");
}

Result<nlohmann::json> GovScene::Dashboard(Instant since) {
  static constexpr std::string_view kNames[] = {"tickets", "cases_opened", "cases_done",
                                                "cases_rejected"};
  return api::CountsSince(impl_->db, R"sql(
SELECT (SELECT COUNT(*) FROM gov_tickets WHERE taken_at >= ?),
       (SELECT COUNT(*) FROM gov_cases WHERE opened_at >= ?),
       (SELECT COUNT(*) FROM gov_cases WHERE state = 'done' AND closed_at >= ?),
       (SELECT COUNT(*) FROM gov_cases WHERE state = 'rejected' AND closed_at >= ?)
)sql",
                          since, kNames);
}

}  // namespace citycode::gov
