// Routes of the vault: the type registry, issuers and what organisations may
// request (admins), certificates pushed by issuing agencies, citizens'
// certificates, grants and access history, fetches by relying parties, and
// the audit checkpoint for external witnesses.
#include <nlohmann/json.hpp>

#include "code/verifier.h"
#include "server/internal/core_routes.h"
#include "server/internal/views.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;
using platform::Role;

const std::vector<Role> kAgencies = {Role::kOrgAdmin};
const std::vector<Role> kRelyingParties = {Role::kTerminal, Role::kOrgAdmin};

json TypeJson(const vault::CertificateType& type) {
  json fields = json::array();
  for (const auto& f : type.fields) {
    fields.push_back({{"key", f.key},
                      {"label", f.label},
                      {"required", f.required},
                      {"max_length", f.max_length}});
  }
  return {{"code", type.code},
          {"key", type.key},
          {"name", type.name},
          {"authority_kind", type.authority_kind},
          {"holder_id_type", vault::HolderIdTypeCode(type.holder_id_type)},
          {"health", type.health},  // granted alone, briefly; never on presentation
          {"fields", fields}};
}

json IssuerJson(const vault::Issuer& issuer) {
  return {{"org_id", issuer.org_id},
          {"credit_code", issuer.credit_code},
          {"name", issuer.name},
          {"external", issuer.external},
          {"accept_bad_check_character", issuer.accept_bad_check_character},
          {"key_ids", issuer.key_ids}};
}

json CheckpointJson(const vault::AuditCheckpoint& checkpoint) {
  return json::parse(vault::CheckpointToJson(checkpoint));
}

std::string Actor(const Call& call) { return call.principal->key_id; }

Response OrganisationTypesResponse(vault::Vault& v, const std::string& org) {
  auto all = v.OrganisationTypes(org, false);
  if (!all.ok()) return ErrorResponse(all.status());
  auto shown = v.OrganisationTypes(org, true);
  if (!shown.ok()) return ErrorResponse(shown.status());
  return Json(200, {{"org_id", org}, {"may_request", *all}, {"on_presentation", *shown}});
}

json VerificationJson(code::Scene scene, const vault::VerifiedPresentation& verified) {
  const code::VerificationResult& result = verified.verification.result;
  json warnings = json::array();
  for (auto w : result.warnings) warnings.push_back(code::WarningName(w));
  json out = {{"verification_id", verified.verification.verification_id},
              {"valid", result.valid},
              {"reason", code::ReasonName(result.reason)},
              {"scene", code::SceneName(scene)},
              {"warnings", warnings}};
  if (!result.valid) return out;
  out["channel"] = code::ChannelName(result.channel);
  out["rider_category"] =
      code::RiderCategoryName(result.rider_category.value_or(code::RiderCategory::kAdult));
  out["held_by_guardian"] = result.held_by_guardian;
  if (verified.grant) {
    out["consent_grant"] = {{"id", verified.grant->id},
                            {"types", verified.grant->type_codes},
                            {"expires_at", FormatRfc3339(verified.grant->expires_at)}};
  }
  return out;
}

// The certificate-type registry and its administration.
void AddRegistryRoutes(vault::Vault& v, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/vault/certificate-types",
                    .name = "list_certificate_types",
                    .summary = "The certificate types the vault knows, with their face fields",
                    .handler = [&v](Call&) {
                      json types = json::array();
                      for (const auto& type : v.certificate_types())
                        types.push_back(TypeJson(type));
                      return Json(200, {{"types", types}});
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/vault/requesters",
                    .name = "list_requesters",
                    .summary = "The organisations that may request certificates, with the "
                               "types: what a citizen may grant consent to",
                    .roles = kCitizens,
                    .handler = [&v](Call&) {
                      return Respond(v.Requesters(), 200, [](const auto& requesters) {
                        json out = json::array();
                        for (const vault::Requester& r : requesters) {
                          out.push_back({{"org_id", r.org_id},
                                         {"name", r.name},
                                         {"kind", r.kind},
                                         {"types", r.type_codes}});
                        }
                        return json{{"organisations", out}};
                      });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/vault/public-key",
                    .name = "vault_public_key",
                    .summary = "The key that signs releases and audit checkpoints (PEM)",
                    .handler = [&v](Call&) {
                      return Json(200, {{"key_id", ToHex(v.public_key().key_id())},
                                        {"public_key", v.public_key().ToPem()}});
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/vault/issuer",
       .name = "register_issuer",
       .summary = "Register an issuing agency as a certificate issuer",
       .roles = kAdmins,
       .body = {{.name = "credit_code", .max_length = 18},
                {.name = "name", .max_length = 256},
                {.name = "external", .type = FieldType::kBoolean, .required = false},
                {.name = "accept_bad_check_character",
                 .type = FieldType::kBoolean,
                 .required = false,
                 .description = "external issuers only: keep identifiers with another check rule"}},
       .handler = [&v](Call& call) {
         const vault::IssuerRegistration registration{
             .org_id = Param(call, "org"),
             .credit_code = Text(call, "credit_code"),
             .name = Text(call, "name"),
             .external = call.body.value("external", false),
             .accept_bad_check_character = call.body.value("accept_bad_check_character", false)};
         if (Status status = v.RegisterIssuer(registration, Actor(call)); !status.ok()) {
           return ErrorResponse(status);
         }
         return Respond(v.GetIssuer(registration.org_id), 200, IssuerJson);
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/vault/issuer/keys",
                    .name = "add_issuer_key",
                    .summary = "Add a public key the issuer signs certificates with (PEM)",
                    .roles = kAdmins,
                    .body = {{.name = "public_key", .max_length = 4096, .multiline = true}},
                    .success_status = 201,
                    .handler = [&v](Call& call) {
                      auto key = crypto::PublicKey::FromPem(Text(call, "public_key"));
                      if (!key.ok())
                        return ErrorResponse(
                            Status(key.status().code(), key.status().message(), "bad_public_key"));
                      return Respond(v.AddIssuerKey(Param(call, "org"), *key, Actor(call)), 201,
                                     [](const std::string& kid) {
                                       return json{{"key_id", kid}};
                                     });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/vault/issuer",
                    .name = "get_issuer",
                    .summary = "An issuer's registration and key ids",
                    .roles = kOrgAdmins,
                    .handler = [&v](Call& call) {
                      return Respond(v.GetIssuer(Param(call, "org")), 200, IssuerJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/vault/types",
       .name = "set_organisation_types",
       .summary = "The certificate types an organisation may ever request, and those a code "
                  "shown at its terminals authorises",
       .roles = kAdmins,
       .body = {{.name = "may_request", .type = FieldType::kStringArray, .max_length = 64},
                {.name = "on_presentation",
                 .type = FieldType::kStringArray,
                 .required = false,
                 .max_length = 64}},
       .handler = [&v](Call& call) {
         const std::string& org = Param(call, "org");
         Status set = v.SetOrganisationTypes(org, Strings(call, "may_request"),
                                             Strings(call, "on_presentation"), Actor(call));
         if (!set.ok()) return ErrorResponse(set);
         return OrganisationTypesResponse(v, org);
       }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/orgs/{org}/vault/types",
       .name = "get_organisation_types",
       .summary = "What an organisation may request from the vault",
       .roles = kOrgAdmins,
       .handler = [&v](Call& call) { return OrganisationTypesResponse(v, Param(call, "org")); }});
}

// Issuing agencies: issuing and revoking certificates.
void AddIssuerRoutes(vault::Vault& v, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/vault/certificates",
       .name = "push_certificate",
       .summary = "Issue, update, revoke or expire a certificate: the agency-signed certificate "
                  "in its new state (idempotent by identifier)",
       .roles = kAgencies,
       .body = {{.name = "certificate",
                 .type = FieldType::kObject,
                 .description = "vault certificate JSON with key_id and signature"}},
       .handler = [&v](Call& call) {
         auto certificate = vault::CertificateFromJson(call.body["certificate"]);
         if (!certificate.ok()) {
           return ErrorResponse(Status(certificate.status().code(), certificate.status().message(),
                                       "bad_certificate"));
         }
         auto issued = v.Issue(call.principal->org_id, *certificate);
         if (!issued.ok()) return ErrorResponse(issued.status());
         json out = {{"identifier", issued->identifier},
                     {"outcome", vault::IssueOutcomeName(issued->outcome)}};
         if (!issued->warning.empty()) out["warning"] = issued->warning;
         return Json(issued->outcome == vault::IssueOutcome::kCreated ? 201 : 200, out);
       }});
}

// Citizens: their certificates, consents and access log.
void AddCitizenRoutes(vault::Vault& v, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/certificates",
                    .name = "my_certificates",
                    .summary = "The calling citizen's certificates in the vault",
                    .roles = kCitizens,
                    .handler = [&v](Call& call) {
                      return Respond(v.ListCertificates(call.principal->citizen_id), 200,
                                     CertificatesJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/grants",
       .name = "grant_consent",
       .summary = "Let an organisation fetch some of my certificate types for a purpose",
       .roles = kCitizens,
       .body = {{.name = "org_id", .max_length = 64},
                {.name = "types", .type = FieldType::kStringArray, .max_length = 64},
                {.name = "purpose", .max_length = 256},
                {.name = "expires_at",
                 .required = false,
                 .max_length = 40,
                 .description = "RFC 3339; required but for health records (by default 24 h, "
                                "at most 7 days), which are granted alone"}},
       .success_status = 201,
       .handler = [&v](Call& call) {
         std::optional<Instant> expires_at;
         if (call.body.contains("expires_at")) {
           auto parsed = ParseRfc3339(Text(call, "expires_at"));
           if (!parsed.ok()) return ErrorResponse(parsed.status());
           expires_at = *parsed;
         }
         return Respond(v.GrantStanding({.citizen_id = call.principal->citizen_id,
                                         .org_id = Text(call, "org_id"),
                                         .type_codes = Strings(call, "types"),
                                         .purpose = Text(call, "purpose"),
                                         .expires_at = expires_at}),
                        201, GrantJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/grants",
                    .name = "my_grants",
                    .summary = "My standing grants, revoked ones included",
                    .roles = kCitizens,
                    .handler = [&v](Call& call) {
                      return Respond(v.ListGrants(call.principal->citizen_id), 200,
                                     [](const std::vector<vault::Grant>& grants) {
                                       json out = json::array();
                                       for (const auto& g : grants) out.push_back(GrantJson(g));
                                       return json{{"grants", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/grants/{grant}/revoke",
                    .name = "revoke_consent",
                    .summary = "Revoke a standing grant at once",
                    .roles = kCitizens,
                    .handler = [&v](Call& call) {
                      return Done(v.RevokeGrant(call.principal->citizen_id, Param(call, "grant")),
                                  {{"status", "revoked"}});
                    }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/me/access-history",
       .name = "my_access_history",
       .summary = "Who fetched which of my certificates, when and why; refusals and consent "
                  "changes too (newest first)",
       .roles = kCitizens,
       .handler = [&v](Call& call) {
         return Respond(v.AccessHistory(call.principal->citizen_id), 200, AccessHistoryJson);
       }});
}

// Relying parties: fetching under a grant.
void AddRelyingPartyRoutes(vault::Vault& v, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/vault/fetch",
       .name = "fetch_certificates",
       .summary = "Fetch consented certificates for a stated use-cause; the answer is signed "
                  "with the receiving organisation and use-cause in it",
       .roles = kRelyingParties,
       .body =
           {{.name = "grant_id", .max_length = 64},
            {.name = "types", .type = FieldType::kStringArray, .required = false, .max_length = 64},
            {.name = "use_cause", .max_length = 256, .description = "申请事由"}},
       .handler = [&v](Call& call) {
         return Respond(v.Fetch(*call.principal, {.grant_id = Text(call, "grant_id"),
                                                  .type_codes = Strings(call, "types"),
                                                  .use_cause = Text(call, "use_cause")}),
                        200, [](const vault::Release& release) {
                          return json{{"release", release.release_json},
                                      {"key_id", release.key_id},
                                      {"signature", Base64UrlEncode(release.signature)}};
                        });
       }});
}

// The audit log.
void AddAuditRoutes(vault::Vault& v, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/audit/checkpoint",
       .name = "latest_audit_checkpoint",
       .summary = "The newest signed audit checkpoint, for external witnesses",
       .roles = kAdmins,
       .handler = [&v](Call&) { return Respond(v.LatestCheckpoint(), 200, CheckpointJson); }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/audit/checkpoint",
       .name = "write_audit_checkpoint",
       .summary = "Sign the audit log's head now and return the checkpoint",
       .roles = kAdmins,
       .handler = [&v](Call&) { return Respond(v.Checkpoint(), 200, CheckpointJson); }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/verify",
       .name = "verify",
       .summary = "Verify a code online for the terminal's scene (city-wide replay detection); "
                  "a valid code gives the terminal's organisation its presentation grant",
       .roles = kTerminals,
       .body = {{.name = "code", .max_length = 4096, .description = "the CC1: text"},
                {.name = "scene",
                 .required = false,
                 .max_length = 16,
                 .description = "must be the terminal's own scene if given"}},
       .answer_later = [&v](Call& call, api::Reply reply) {
         const platform::Principal& terminal = *call.principal;
         if (call.body.contains("scene") &&
             call.body["scene"].get<std::string>() != code::SceneName(*terminal.scene)) {
           return reply(ErrorResponse(PermissionDenied(
               "this terminal verifies only for its own scene", "scene_not_permitted")));
         }
         v.VerifyPresentationThen(
             terminal, Text(call, "code"),
             [scene = *terminal.scene,
              reply = std::move(reply)](Result<vault::VerifiedPresentation> verified) {
               reply(Respond(verified, 200, [scene](const vault::VerifiedPresentation& shown) {
                 return VerificationJson(scene, shown);
               }));
             });
       }});
}

}  // namespace

std::vector<RouteSpec> VaultRoutes(vault::Vault& v) {
  std::vector<RouteSpec> routes;
  AddRegistryRoutes(v, routes);
  AddIssuerRoutes(v, routes);
  AddCitizenRoutes(v, routes);
  AddRelyingPartyRoutes(v, routes);
  AddAuditRoutes(v, routes);
  return routes;
}

}  // namespace citycode::server::internal
