// Routes of the government service hall scene: service items and windows
// (hall administrators), tickets and the queue (kiosks, windows, displays),
// and cases at the windows. Terminals never get a citizen's id; the
// certificates appear only in the answer that opens a case.
#include <nlohmann/json.hpp>

#include "api/route.h"
#include "qr/qr.h"
#include "scenes/gov/gov.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"

namespace citycode::gov {
namespace {

using api::Call;
using api::FieldType;
using api::Json;
using api::Method;
using api::Param;
using api::Respond;
using api::Response;
using api::RouteSpec;
using api::Strings;
using api::Text;
using nlohmann::json;
using platform::Role;

// Cases are read by the hall's terminals and its administrators.
const std::vector<Role> kCaseReaders = {Role::kOrgAdmin, Role::kTerminal};

std::string TypeKey(const std::string& code) {
  const vault::CertificateType* type = vault::FindCertificateType(code);
  return type == nullptr ? std::string() : type->key;
}

json TypeJson(const std::string& code) {
  const vault::CertificateType* type = vault::FindCertificateType(code);
  return {{"code", code},
          {"key", TypeKey(code)},
          {"name", type == nullptr ? std::string() : type->name}};
}

// A case's entry names its type the way the vault's releases do.
json CaseTypeJson(const std::string& code) {
  const vault::CertificateType* type = vault::FindCertificateType(code);
  return {{"type_code", code},
          {"type_key", TypeKey(code)},
          {"type_name", type == nullptr ? std::string() : type->name}};
}

json ItemJson(const ServiceItem& item) {
  json types = json::array();
  for (const std::string& code : item.required_types) types.push_back(TypeJson(code));
  return {{"id", item.id},           {"org_id", item.org_id},
          {"code", item.code},       {"name", item.name},
          {"required_types", types}, {"created_at", FormatRfc3339(item.created_at)}};
}

json WindowJson(const Window& w) {
  return {{"terminal_id", w.terminal_id},
          {"org_id", w.org_id},
          {"site_id", w.site_id},
          {"name", w.name},
          {"service_items", w.item_ids}};
}

json TicketJson(const Ticket& t) {
  json out = {{"id", t.id},
              {"number", t.number},
              {"site_id", t.site_id},
              {"day", t.day},
              {"service_item", {{"id", t.item_id}, {"code", t.item_code}, {"name", t.item_name}}},
              {"state", TicketStateName(t.state)},
              {"taken_at", FormatRfc3339(t.taken_at)}};
  if (!t.window_terminal_id.empty()) {
    out["window"] = {{"terminal_id", t.window_terminal_id}, {"name", t.window_name}};
  }
  if (t.called_at) out["called_at"] = FormatRfc3339(*t.called_at);
  return out;
}

// The stored case: checks only. The citizen's id stays inside the platform.
json CaseJson(const Case& c) {
  json served = json::array();
  for (const ServedCertificate& s : c.served) {
    json entry = CaseTypeJson(s.type_code);
    entry.update({{"identifier", s.identifier},
                  {"signature_valid", s.signature_valid},
                  {"in_validity", s.in_validity}});
    served.push_back(entry);
  }
  json missing = json::array();
  for (const vault::MissingCertificate& m : c.missing) {
    json entry = CaseTypeJson(m.type_code);
    entry["reason"] = m.reason;
    missing.push_back(entry);
  }
  json out = {
      {"id", c.id},
      {"org_id", c.org_id},
      {"site_id", c.site_id},
      {"service_item", {{"id", c.item_id}, {"code", c.item_code}, {"name", c.item_name}}},
      {"window_terminal_id", c.window_terminal_id},
      {"ticket", c.ticket_id.empty() ? json(nullptr)
                                     : json{{"id", c.ticket_id}, {"number", c.ticket_number}}},
      {"release_id", c.release_id},
      {"state", CaseStateName(c.state)},
      {"served", served},
      {"missing", missing},
      {"opened_at", FormatRfc3339(c.opened_at)}};
  if (c.state == CaseState::kRejected) out["reject_reason"] = c.reject_reason;
  if (c.closed_at) out["closed_at"] = FormatRfc3339(*c.closed_at);
  return out;
}

// The answer that opens a case: the checks plus, for the clerk's screen,
// the certificates and the vault's signed release.
json OpenedCaseJson(const OpenedCase& opened) {
  json out = CaseJson(opened.record);
  json certificates = json::array();
  for (const vault::SignedCertificate& c : opened.certificates) {
    certificates.push_back(vault::CertificateToJson(c));
  }
  out["certificates"] = certificates;
  if (!opened.release_json.empty()) {
    out["release"] = {{"json", opened.release_json},
                      {"key_id", opened.release_key_id},
                      {"signature", Base64UrlEncode(opened.release_signature)}};
  }
  return out;
}

// A new printed card, once: its QR text and, for the window's printer, the
// QR as a PNG. The citizen's id stays inside the platform.
json IssuedCardJson(const platform::IssuedCard& card) {
  json scenes = json::array();
  for (code::Scene scene : card.claims.scenes) scenes.push_back(code::SceneName(scene));
  json out = {{"qr", card.qr_text},
              {"card_id", ToHex(card.claims.id)},
              {"issued_at", FormatRfc3339(card.claims.issued_at)},
              {"expires_at", FormatRfc3339(card.claims.expires_at)},
              {"scenes", scenes},
              {"account_created", card.account_created}};
  // The card is issued already; a PNG that cannot be made leaves the text
  // to print.
  auto symbol = qr::QrCode::Encode(card.qr_text);
  auto png = symbol.ok() ? symbol->ToPng({.module_px = 4}) : Result<Bytes>(symbol.status());
  out["qr_png"] = png.ok() ? json(Base64Encode(*png)) : json(nullptr);
  return out;
}

}  // namespace

std::vector<RouteSpec> GovScene::Routes() {
  std::vector<RouteSpec> routes;

  // --- administration ---
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/gov/service-items",
       .name = "gov_create_service_item",
       .summary = "Add a service item (事项) to a service hall, with the certificate types it "
                  "needs",
       .roles = api::kOrgAdmins,
       .body = {{.name = "code", .max_length = 64, .description = "[a-z0-9-], e.g. hukou-transfer"},
                {.name = "name", .max_length = 128},
                {.name = "required_types",
                 .type = FieldType::kStringArray,
                 .required = false,
                 .max_length = 64,
                 .max_items = 16,
                 .description = "certificate type codes or keys (resident_id_card, ...)"}},
       .success_status = 201,
       .handler = [this](Call& call) {
         return Respond(CreateServiceItem(Param(call, "org"), Text(call, "code"),
                                          Text(call, "name"), Strings(call, "required_types")),
                        201, ItemJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/gov/service-items",
                    .name = "gov_list_service_items",
                    .summary = "The service hall's service items",
                    .roles = api::kOrgAdmins,
                    .handler = [this](Call& call) {
                      return Respond(ListServiceItems(Param(call, "org")), 200,
                                     [](const std::vector<ServiceItem>& items) {
                                       json out = json::array();
                                       for (const auto& item : items) out.push_back(ItemJson(item));
                                       return json{{"service_items", out}};
                                     });
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/gov/windows",
       .name = "gov_register_window",
       .summary = "Make a terminal a window of its hall, or rename it and replace its items",
       .roles = api::kOrgAdmins,
       .body = {{.name = "terminal_id", .max_length = 64},
                {.name = "name", .max_length = 64, .description = "e.g. 3号窗口"},
                {.name = "service_items",
                 .type = FieldType::kStringArray,
                 .required = false,
                 .max_length = 64,
                 .max_items = 64,
                 .description = "ids of the items it handles; empty or absent: all"}},
       .handler = [this](Call& call) {
         return Respond(RegisterWindow(Param(call, "org"), Text(call, "terminal_id"),
                                       Text(call, "name"), Strings(call, "service_items")),
                        200, WindowJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/gov/windows",
                    .name = "gov_list_windows",
                    .summary = "The service hall's windows",
                    .roles = api::kOrgAdmins,
                    .handler = [this](Call& call) {
                      return Respond(ListWindows(Param(call, "org")), 200,
                                     [](const std::vector<Window>& windows) {
                                       json out = json::array();
                                       for (const auto& w : windows) out.push_back(WindowJson(w));
                                       return json{{"windows", out}};
                                     });
                    }});

  // --- the queue ---
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/gov/tickets",
       .name = "gov_take_ticket",
       .summary = "Scan a citizen's code at a kiosk and give a queue number (扫码取号)",
       .roles = api::kTerminals,
       .body = {{.name = "qr", .max_length = 4096, .description = "the CC1: text"},
                {.name = "service_item", .max_length = 64, .description = "the item's id"}},
       .success_status = 201,
       .handler = [this](Call& call) {
         return Respond(TakeTicket(*call.principal, Text(call, "qr"), Text(call, "service_item")),
                        201, [](const TicketReceipt& r) {
                          json out = TicketJson(r.ticket);
                          out["waiting_before"] = r.waiting_before;
                          return out;
                        });
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/gov/call",
                    .name = "gov_call_next",
                    .summary = "Call the next waiting ticket to this window; null when none waits",
                    .roles = api::kTerminals,
                    .handler = [this](Call& call) {
                      return Respond(CallNext(*call.principal), 200,
                                     [](const std::optional<Ticket>& t) {
                                       return json{{"ticket", t ? TicketJson(*t) : json(nullptr)}};
                                     });
                    }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/gov/queue",
       .name = "gov_queue",
       .summary = "Today's waiting and called tickets at this terminal's hall",
       .roles = api::kTerminals,
       .handler = [this](Call& call) {
         return Respond(Queue(*call.principal), 200, [](const QueueView& q) {
           json waiting = json::array();
           for (const auto& t : q.waiting) waiting.push_back(TicketJson(t));
           json called = json::array();
           for (const auto& t : q.called) called.push_back(TicketJson(t));
           return json{
               {"site_id", q.site_id}, {"day", q.day}, {"waiting", waiting}, {"called", called}};
         });
       }});

  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/gov/terminal",
       .name = "gov_terminal",
       .summary = "This hall terminal: its window (null for a kiosk) and the "
                  "service items it serves",
       .roles = api::kTerminals,
       .handler = [this](Call& call) {
         return Respond(DescribeTerminal(*call.principal), 200, [](const HallTerminal& hall) {
           json items = json::array();
           for (const auto& item : hall.items) items.push_back(ItemJson(item));
           return json{{"window", hall.window ? WindowJson(*hall.window) : json(nullptr)},
                       {"service_items", items}};
         });
       }});

  // --- cases ---
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/gov/cases",
       .name = "gov_open_case",
       .summary =
           "Scan the citizen's code at a window and fetch the item's certificates (免证办事)",
       .roles = api::kTerminals,
       .body = {{.name = "qr", .max_length = 4096, .description = "the CC1: text"},
                {.name = "ticket_id",
                 .required = false,
                 .max_length = 64,
                 .description = "a ticket called to this window"},
                {.name = "service_item",
                 .required = false,
                 .max_length = 64,
                 .description = "without a ticket: the item's id (default: the window's only "
                                "item)"}},
       .success_status = 201,
       .handler = [this](Call& call) {
         std::optional<std::string> ticket_id;
         std::optional<std::string> item_id;
         if (call.body.contains("ticket_id")) ticket_id = Text(call, "ticket_id");
         if (call.body.contains("service_item")) item_id = Text(call, "service_item");
         return Respond(OpenCase(*call.principal, Text(call, "qr"), ticket_id, item_id), 201,
                        OpenedCaseJson);
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/gov/identity-checks",
       .name = "gov_confirm_identity",
       .summary = "At a window: the clerk has checked the physical ID card of the person whose "
                  "code is scanned; their account becomes identity-verified in person",
       .roles = api::kTerminals,
       .body = {{.name = "qr", .max_length = 4096, .description = "the CC1: text"},
                {.name = "name", .max_length = 128, .description = "as on the ID card"},
                {.name = "id_number", .max_length = 18, .description = "as on the ID card"}},
       .handler = [this](Call& call) {
         return Respond(
             ConfirmIdentity(*call.principal, Text(call, "qr"),
                             {.name = Text(call, "name"), .id_number = Text(call, "id_number")}),
             200, [](const platform::IdentityStatus& status) {
               return json{{"level", platform::AssuranceLevelName(status.level)},
                           {"verified_at", FormatRfc3339(status.verified_at.value_or(Instant{}))}};
             });
       }});
  // --- printed cards ---
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/gov/cards",
       .name = "gov_issue_card",
       .summary = "At a window with its clerk signed in: a printed card for the person whose "
                  "physical ID card the clerk has checked (the QR is answered once; a new card "
                  "revokes the old one)",
       .roles = api::kTerminals,
       .body = {{.name = "name", .max_length = 128, .description = "as on the ID card"},
                {.name = "id_number", .max_length = 18, .description = "as on the ID card"}},
       .success_status = 201,
       .handler = [this](Call& call) {
         return Respond(IssueCard(*call.principal, {.name = Text(call, "name"),
                                                    .id_number = Text(call, "id_number")}),
                        201, IssuedCardJson);
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/gov/cards/revoke",
       .name = "gov_revoke_card",
       .summary = "At a window with its clerk signed in: revoke at once the printed card of the "
                  "person whose physical ID card the clerk has checked (a lost card)",
       .roles = api::kTerminals,
       .body = {{.name = "name", .max_length = 128, .description = "as on the ID card"},
                {.name = "id_number", .max_length = 18, .description = "as on the ID card"}},
       .handler = [this](Call& call) {
         return api::Done(RevokeCard(*call.principal, {.name = Text(call, "name"),
                                                       .id_number = Text(call, "id_number")}),
                          json{{"revoked", true}});
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/gov/cases/{case}",
                    .name = "gov_get_case",
                    .summary = "A case's record: what was checked, without the certificates",
                    .roles = kCaseReaders,
                    .handler = [this](Call& call) {
                      return Respond(GetCase(*call.principal, Param(call, "case")), 200, CaseJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/gov/cases/{case}/complete",
                    .name = "gov_complete_case",
                    .summary = "Complete an open case (the window that opened it)",
                    .roles = api::kTerminals,
                    .handler = [this](Call& call) {
                      return Respond(CompleteCase(*call.principal, Param(call, "case")), 200,
                                     CaseJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/gov/cases/{case}/reject",
                    .name = "gov_reject_case",
                    .summary = "Reject an open case with a reason (the window that opened it)",
                    .roles = api::kTerminals,
                    .body = {{.name = "reason", .max_length = 256}},
                    .handler = [this](Call& call) {
                      return Respond(
                          RejectCase(*call.principal, Param(call, "case"), Text(call, "reason")),
                          200, CaseJson);
                    }});
  return routes;
}

Result<nlohmann::json> GovScene::ExportCitizen(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Ticket> tickets, CitizenTickets(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Case> cases, CitizenCases(citizen_id));
  json out = {{"tickets", json::array()}, {"cases", json::array()}};
  for (const Ticket& t : tickets) out["tickets"].push_back(TicketJson(t));
  for (const Case& c : cases) out["cases"].push_back(CaseJson(c));
  return out;
}

Result<std::vector<std::string>> GovScene::EraseCitizen(std::string_view citizen_id) {
  (void)citizen_id;
  return std::vector<std::string>{
      "gov: queue tickets and cases — the hall's records of the affairs it handled; they hold "
      "the account's id and certificate identifiers, no name or ID number"};
}

}  // namespace citycode::gov
