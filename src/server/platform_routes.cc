// Routes of the platform module: citizens and their devices, organisations,
// sites, terminals, keys, the signed lists, and online verification.
#include <nlohmann/json.hpp>

#include "code/verifier.h"
#include "crypto/key.h"
#include "server/internal/core_routes.h"
#include "server/internal/views.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;
using platform::Principal;
using platform::Role;

json OrgJson(const platform::Organisation& org) {
  return {{"id", org.id},
          {"name", org.name},
          {"kind", platform::OrgKindName(org.kind)},
          {"demo", org.demo},
          {"created_at", FormatRfc3339(org.created_at)}};
}

json TerminalJson(const platform::Terminal& t) {
  return {{"id", t.id},           {"org_id", t.org_id},
          {"site_id", t.site_id}, {"scene", code::SceneName(t.scene)},
          {"name", t.name},       {"active", t.active}};
}

json KeyJson(const platform::NewApiKey& key) {
  return {{"key_id", key.key_id}, {"api_key", key.token}};
}

// What a terminal is, by name, for the counter page's header.
api::Response TerminalView(platform::Platform& p, const Principal& t) {
  auto org = p.organisations().Get(t.org_id);
  if (!org.ok()) return ErrorResponse(org.status());
  auto sites = p.organisations().ListSites(t.org_id);
  if (!sites.ok()) return ErrorResponse(sites.status());
  const auto site = std::find_if(sites->begin(), sites->end(),
                                 [&](const platform::Site& s) { return s.id == t.site_id; });
  return Json(200, {{"terminal_id", t.terminal_id},
                    {"org_id", t.org_id},
                    {"org_name", org->name},
                    {"org_kind", platform::OrgKindName(org->kind)},
                    {"site_id", t.site_id},
                    {"site_name", site == sites->end() ? "" : site->name},
                    {"scene", code::SceneName(*t.scene)},
                    {"staff_id", t.staff_id.empty() ? json(nullptr) : json(t.staff_id)}});
}

// What a start of registration, reset or change of phone answers, the
// same whatever the phone.
json CodeSentJson(const platform::CodeSent& sent) {
  return {{"code_sent", true}, {"expires_in_seconds", sent.expires_in.count()}};
}

// A signed list with ETag / If-None-Match.
Response ListResponse(const Call& call, const Result<platform::SignedList>& list) {
  if (!list.ok()) return ErrorResponse(list.status());
  Response response;
  response.headers = {{"ETag", list->etag}, {"Cache-Control", "no-cache"}};
  if (call.request.Header("if-none-match") == list->etag) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  response.content_type = "application/jose+json";
  response.body = list->jws;
  return response;
}

// Registration and password reset, each by a code texted to the phone.
void AddRegistrationRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/citizens",
       .name = "register_citizen",
       .summary = "Start a registration: the phone gets a one-time code (or, if it is registered "
                  "already, a notice); the answer is the same either way",
       .body = {{.name = "name", .max_length = 128},
                {.name = "id_number", .max_length = 18, .description = "18-character resident ID"},
                {.name = "phone", .max_length = 11, .description = "11-digit mobile, the login"},
                {.name = "password", .max_length = 1024}},
       .success_status = 202,
       .handler = [&p](Call& call) {
         return Respond(p.citizens().StartRegistration({.name = Text(call, "name"),
                                                        .id_number = Text(call, "id_number"),
                                                        .phone = Text(call, "phone"),
                                                        .password = Text(call, "password")},
                                                       call.request.remote_address),
                        202, CodeSentJson);
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/citizens/confirm",
                    .name = "confirm_registration",
                    .summary = "Finish a registration with the code the phone received",
                    .body = {{.name = "phone", .max_length = 11},
                             {.name = "code", .max_length = 6, .description = "6 digits"}},
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      return Respond(
                          p.citizens().ConfirmRegistration(Text(call, "phone"), Text(call, "code")),
                          201, [](const std::string& id) {
                            return json{{"citizen_id", id}};
                          });
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/password-resets",
       .name = "start_password_reset",
       .summary = "Start a password reset: a registered phone gets a one-time code, another a "
                  "notice; the answer is the same either way",
       .body = {{.name = "phone", .max_length = 11}},
       .success_status = 202,
       .handler = [&p](Call& call) {
         return Respond(
             p.citizens().StartPasswordReset(Text(call, "phone"), call.request.remote_address), 202,
             CodeSentJson);
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/password-resets/confirm",
                    .name = "confirm_password_reset",
                    .summary = "Set a new password with the code; every session ends",
                    .body = {{.name = "phone", .max_length = 11},
                             {.name = "code", .max_length = 6},
                             {.name = "password", .max_length = 1024}},
                    .handler = [&p](Call& call) {
                      return Done(
                          p.citizens().ConfirmPasswordReset(Text(call, "phone"), Text(call, "code"),
                                                            Text(call, "password")),
                          {{"password_reset", true}});
                    }});
}

// Citizens: sessions and the profile.
void AddCitizenRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/sessions",
       .name = "login",
       .summary = "Log in with phone and password; returns a session token",
       .body = {{.name = "phone", .max_length = 11}, {.name = "password", .max_length = 1024}},
       .success_status = 201,
       .handler = [&p](Call& call) {
         return Respond(p.citizens().Login(Text(call, "phone"), Text(call, "password"),
                                           call.request.remote_address),
                        201, [](const platform::Session& s) {
                          return json{{"token", s.token},
                                      {"citizen_id", s.citizen_id},
                                      {"expires_at", FormatRfc3339(s.expires_at)}};
                        });
       }});
  routes.push_back({.method = Method::kDelete,
                    .pattern = "/v1/sessions/current",
                    .name = "logout",
                    .summary = "End this session",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      std::string_view header = call.request.Header("authorization");
                      return Done(p.citizens().Logout(header.substr(header.find(' ') + 1)),
                                  {{"status", "logged_out"}});
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me",
                    .name = "get_me",
                    .summary = "The calling citizen's profile",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      return Respond(
                          p.citizens().Get(call.principal->citizen_id), 200,
                          [](const platform::CitizenProfile& c) {
                            return json{
                                {"citizen_id", c.id},
                                {"name", c.name},
                                {"id_number", c.id_number_masked},
                                {"rider_category", code::RiderCategoryName(c.rider_category)},
                                {"identity_level", platform::AssuranceLevelName(c.identity_level)},
                                {"created_at", FormatRfc3339(c.created_at)}};
                          });
                    }});
}

// A change of the citizen's phone, proven by a code texted to the new one.
void AddPhoneRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/phone",
       .name = "start_phone_change",
       .summary = "Start a change of phone: the new phone gets a one-time code (or a notice if "
                  "it is registered already); the answer is the same either way",
       .roles = kCitizens,
       .body = {{.name = "phone", .max_length = 11}},
       .success_status = 202,
       .handler = [&p](Call& call) {
         return Respond(
             p.citizens().StartPhoneChange(call.principal->citizen_id, Text(call, "phone"),
                                           call.request.remote_address),
             202, CodeSentJson);
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/phone/confirm",
       .name = "confirm_phone_change",
       .summary = "Move the account to the new phone with its code",
       .roles = kCitizens,
       .body = {{.name = "phone", .max_length = 11}, {.name = "code", .max_length = 6}},
       .handler = [&p](Call& call) {
         return Done(p.citizens().ConfirmPhoneChange(call.principal->citizen_id,
                                                     Text(call, "phone"), Text(call, "code")),
                     {{"phone_changed", true}});
       }});
}

// A citizen's verified identity: its level, and the online check.
void AddIdentityRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/identity",
                    .name = "get_identity",
                    .summary = "The calling citizen's level of identity assurance and its history",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      return Respond(p.identities().Get(call.principal->citizen_id), 200,
                                     IdentityJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/identity/online",
       .name = "start_identity_check",
       .summary = "Start an online identity check: the nonce for the identity provider",
       .roles = kCitizens,
       .success_status = 201,
       .handler = [&p](Call& call) {
         return Respond(p.identities().StartOnline(call.principal->citizen_id), 201,
                        [](const platform::OnlineCheck& check) {
                          return json{{"nonce", check.nonce},
                                      {"issuer", check.issuer},
                                      {"client_id", check.client_id},
                                      {"expires_at", FormatRfc3339(check.expires_at)}};
                        });
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/identity/online/id-token",
                    .name = "finish_identity_check",
                    .summary = "Finish it with the provider's OpenID Connect ID token",
                    .roles = kCitizens,
                    .body = {{.name = "id_token", .max_length = oidc::kMaxIdTokenBytes},
                             {.name = "nonce", .max_length = 64}},
                    .handler = [&p](Call& call) {
                      return Respond(p.identities().CompleteOnline(call.principal->citizen_id,
                                                                   Text(call, "id_token"),
                                                                   Text(call, "nonce")),
                                     200, IdentityJson);
                    }});
}

// A citizen's devices and their credentials.
void AddDeviceRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/devices",
                    .name = "enrol_device",
                    .summary = "Bind a device key and issue its credential",
                    .roles = kCitizens,
                    .body = DeviceBody(),
                    .needs_channel_key = true,
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      return EnrolDevice(p, call, call.principal->citizen_id, "");
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/devices",
                    .name = "list_devices",
                    .summary = "The calling citizen's devices",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      return Respond(p.devices().List(call.principal->citizen_id), 200,
                                     DevicesJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/devices/{device}/renew",
                    .name = "renew_credential",
                    .summary = "A fresh credential for an active device",
                    .roles = kCitizens,
                    .needs_channel_key = true,
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      return Respond(p.devices().RenewCredential(call.principal->citizen_id,
                                                                 Param(call, "device")),
                                     201, CredentialJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/devices/{device}/lost",
                    .name = "report_device_lost",
                    .summary = "Report a device lost: its credentials are revoked at once",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      return Done(
                          p.devices().ReportLost(call.principal->citizen_id, Param(call, "device")),
                          {{"device_id", Param(call, "device")}, {"state", "lost"}});
                    }});
  routes.push_back({.method = Method::kDelete,
                    .pattern = "/v1/me/devices/{device}",
                    .name = "unbind_device",
                    .summary = "Unbind a device: its credentials are revoked at once",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      return Done(
                          p.devices().Unbind(call.principal->citizen_id, Param(call, "device")),
                          {{"device_id", Param(call, "device")}, {"state", "unbound"}});
                    }});
  // Printed cards are issued at hall windows (scenes/gov); their holder
  // sees and revokes them here.
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/cards",
                    .name = "list_cards",
                    .summary = "The calling citizen's printed cards, newest first (no QR: it is "
                               "printed once at the window)",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      return Respond(p.cards().List(call.principal->citizen_id), 200,
                                     [](const std::vector<platform::Card>& cards) {
                                       json out = json::array();
                                       for (const platform::Card& c : cards) {
                                         json card = {{"card_id", ToHex(c.id)},
                                                      {"issued_at", FormatRfc3339(c.issued_at)},
                                                      {"expires_at", FormatRfc3339(c.expires_at)},
                                                      {"revoked", c.revoked_at.has_value()}};
                                         if (c.revoked_at) {
                                           card["revoked_at"] = FormatRfc3339(*c.revoked_at);
                                           card["revoke_reason"] = c.revoke_reason;
                                         }
                                         out.push_back(card);
                                       }
                                       return json{{"cards", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/cards/revoke",
                    .name = "revoke_card",
                    .summary = "Revoke the calling citizen's printed card at once (lost)",
                    .roles = kCitizens,
                    .handler = [&p](Call& call) {
                      return Done(p.cards().Revoke(call.principal->citizen_id, "card_lost"),
                                  {{"revoked", true}});
                    }});
}

// Organisations and their sites.
void AddOrganisationRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs",
       .name = "create_org",
       .summary = "Register an organisation",
       .roles = kAdmins,
       .body = {{.name = "name", .max_length = 200},
                {.name = "kind",
                 .max_length = 32,
                 .description = "service_hall, transit_operator, hospital, hotel, access_site or "
                                "issuing_agency"}},
       .success_status = 201,
       .handler = [&p](Call& call) {
         auto kind = platform::OrgKindFromName(Text(call, "kind"));
         if (!kind.ok()) return ErrorResponse(kind.status());
         return Respond(p.organisations().Create(Text(call, "name"), *kind), 201, OrgJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs",
                    .name = "list_orgs",
                    .summary = "All organisations",
                    .roles = kAdmins,
                    .handler = [&p](Call&) {
                      return Respond(p.organisations().List(), 200,
                                     [](const std::vector<platform::Organisation>& orgs) {
                                       json out = json::array();
                                       for (const auto& org : orgs) out.push_back(OrgJson(org));
                                       return json{{"orgs", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/org",
                    .name = "get_calling_org",
                    .summary = "The organisation the calling organisation admin key administers "
                               "(the organisation page starts here)",
                    .roles = {Role::kOrgAdmin},
                    .handler = [&p](Call& call) {
                      return Respond(p.organisations().Get(call.principal->org_id), 200, OrgJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}",
                    .name = "get_org",
                    .summary = "One organisation",
                    .roles = kOrgAdmins,
                    .handler = [&p](Call& call) {
                      return Respond(p.organisations().Get(Param(call, "org")), 200, OrgJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/admin-keys",
                    .name = "create_org_admin_key",
                    .summary = "An API key that administers this organisation",
                    .roles = kAdmins,
                    .body = {{.name = "name", .max_length = 200}},
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      return Respond(
                          p.access_keys().CreateOrgAdminKey(Param(call, "org"), Text(call, "name")),
                          201, KeyJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/sites",
                    .name = "create_site",
                    .summary = "Add a site (hall, station, hospital campus, hotel, gate area)",
                    .roles = kOrgAdmins,
                    .body = {{.name = "name", .max_length = 200}},
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      return Respond(
                          p.organisations().CreateSite(Param(call, "org"), Text(call, "name")), 201,
                          [](const platform::Site& s) {
                            return json{{"id", s.id}, {"org_id", s.org_id}, {"name", s.name}};
                          });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/sites",
                    .name = "list_sites",
                    .summary = "The organisation's sites",
                    .roles = kOrgAdmins,
                    .handler = [&p](Call& call) {
                      return Respond(
                          p.organisations().ListSites(Param(call, "org")), 200,
                          [](const std::vector<platform::Site>& sites) {
                            json out = json::array();
                            for (const auto& s : sites) {
                              out.push_back({{"id", s.id}, {"org_id", s.org_id}, {"name", s.name}});
                            }
                            return json{{"sites", out}};
                          });
                    }});
}

// Terminals and their keys; an operator's revocation of a credential.
void AddTerminalRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/terminals",
       .name = "create_terminal",
       .summary = "Register a terminal; its API key is shown only in this answer",
       .roles = kOrgAdmins,
       .body = {{.name = "site_id", .max_length = 64}, {.name = "name", .max_length = 200}},
       .success_status = 201,
       .handler = [&p](Call& call) {
         return Respond(p.access_keys().CreateTerminal(Param(call, "org"), Text(call, "site_id"),
                                                       Text(call, "name")),
                        201, [](const std::pair<platform::Terminal, platform::NewApiKey>& t) {
                          json out = TerminalJson(t.first);
                          out.update(KeyJson(t.second));
                          return out;
                        });
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/terminals",
                    .name = "list_terminals",
                    .summary = "The organisation's terminals",
                    .roles = kOrgAdmins,
                    .handler = [&p](Call& call) {
                      return Respond(p.access_keys().ListTerminals(Param(call, "org")), 200,
                                     [](const std::vector<platform::Terminal>& terminals) {
                                       json out = json::array();
                                       for (const auto& t : terminals)
                                         out.push_back(TerminalJson(t));
                                       return json{{"terminals", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/terminals/{terminal}/rotate-key",
                    .name = "rotate_terminal_key",
                    .summary = "A new API key for the terminal; the old one stops at once",
                    .roles = kOrgAdmins,
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      return Respond(p.access_keys().RotateTerminalKey(Param(call, "org"),
                                                                       Param(call, "terminal")),
                                     201, KeyJson);
                    }});
  routes.push_back(
      {.method = Method::kDelete,
       .pattern = "/v1/orgs/{org}/terminals/{terminal}",
       .name = "disable_terminal",
       .summary = "Disable a terminal and its key",
       .roles = kOrgAdmins,
       .handler = [&p](Call& call) {
         return Done(p.access_keys().DisableTerminal(Param(call, "org"), Param(call, "terminal")),
                     {{"terminal_id", Param(call, "terminal")}, {"active", false}});
       }});

  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/credentials/{credential}/revoke",
                    .name = "revoke_credential",
                    .summary = "Revoke one credential (by its id, 32 hex digits); applies at once",
                    .roles = kAdmins,
                    .body = {{.name = "reason", .max_length = 64}},
                    .handler = [&p](Call& call) {
                      auto bytes = FromHex(Param(call, "credential"));
                      if (!bytes.ok() || bytes->size() != code::kCredentialIdSize) {
                        return ErrorResponse(NotFound("no such credential"));
                      }
                      code::CredentialId id;
                      std::copy(bytes->begin(), bytes->end(), id.begin());
                      return Done(
                          p.devices().RevokeCredential(id, Text(call, "reason")),
                          {{"credential_id", Param(call, "credential")}, {"revoked", true}});
                    }});
}

// Channel keys and the platform's signing keys.
void AddKeyRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/channels/{channel}/keys",
                    .name = "create_channel_key",
                    .summary = "An API key for an issuing channel (app, wechat, alipay)",
                    .roles = kAdmins,
                    .body = {{.name = "name", .max_length = 200}},
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      auto channel = code::ChannelFromName(Param(call, "channel"));
                      if (!channel.ok()) return ErrorResponse(NotFound("no such channel"));
                      return Respond(p.access_keys().CreateChannelKey(*channel, Text(call, "name")),
                                     201, KeyJson);
                    }});
  const auto signing_key_json = [](const platform::SigningKeyInfo& k) {
    return json{{"key_id", k.key_id},
                {"algorithm", crypto::CliName(k.algorithm)},
                {"not_before", FormatRfc3339(k.not_before)},
                {"not_after", FormatRfc3339(k.not_after)},
                {"signing_now", k.signing_now}};
  };
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/signing-keys",
                    .name = "rotate_signing_key",
                    .summary = "Add a signing key: trusted now, signing after the lead time",
                    .roles = kAdmins,
                    .success_status = 201,
                    .handler = [&p, signing_key_json](Call&) {
                      return Respond(p.signing_keys().Rotate(), 201, signing_key_json);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/signing-keys",
                    .name = "list_signing_keys",
                    .summary = "The platform's credential signing keys",
                    .roles = kAdmins,
                    .handler = [&p, signing_key_json](Call&) {
                      return Respond(p.signing_keys().List(), 200,
                                     [&](const std::vector<platform::SigningKeyInfo>& keys) {
                                       json out = json::array();
                                       for (const auto& k : keys)
                                         out.push_back(signing_key_json(k));
                                       return json{{"signing_keys", out}};
                                     });
                    }});
}

// The signed lists (public: they name nobody).
void AddListRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/lists/trust",
       .name = "trust_list",
       .summary = "The trust list (JWS signed by the root key); ETag/If-None-Match",
       .handler = [&p](Call& call) { return ListResponse(call, p.signing_keys().TrustList()); }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/lists/revocation",
       .name = "revocation_list",
       .summary = "The revocation list (JWS signed by the root key); ETag/If-None-Match",
       .handler = [&p](Call& call) {
         return ListResponse(call, p.signing_keys().RevocationList());
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/lists/root.pem",
                    .name = "root_key",
                    .summary = "The root public key that signs the lists",
                    .handler = [&p](Call&) {
                      return Response{.status = 200,
                                      .content_type = "application/x-pem-file",
                                      .body = p.signing_keys().root_public_key().ToPem()};
                    }});
}

// The calling terminal.
void AddCallingTerminalRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/terminal",
                    .name = "get_terminal",
                    .summary = "The calling terminal: organisation, site and scene, and the "
                               "clerk X-Staff-Session names",
                    .roles = kTerminals,
                    .handler = [&p](Call& call) { return TerminalView(p, *call.principal); }});
}

}  // namespace

std::vector<RouteSpec> PlatformRoutes(platform::Platform& p) {
  std::vector<RouteSpec> routes;
  AddRegistrationRoutes(p, routes);
  AddCitizenRoutes(p, routes);
  AddPhoneRoutes(p, routes);
  AddIdentityRoutes(p, routes);
  AddDeviceRoutes(p, routes);
  AddOrganisationRoutes(p, routes);
  AddTerminalRoutes(p, routes);
  AddKeyRoutes(p, routes);
  AddListRoutes(p, routes);
  AddCallingTerminalRoutes(p, routes);
  return routes;
}

}  // namespace citycode::server::internal
