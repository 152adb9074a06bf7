#include "server/internal/views.h"

#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"

namespace citycode::server::internal {

using nlohmann::json;

json CredentialJson(const platform::IssuedCredential& issued) {
  const auto& claims = issued.claims;
  json scenes = json::array();
  for (auto scene : claims.scenes) scenes.push_back(code::SceneName(scene));
  return {{"device_id", issued.device_id},
          {"credential", Base64UrlEncode(issued.credential)},
          {"credential_id", ToHex(claims.id)},
          {"issued_at", FormatRfc3339(claims.issued_at)},
          {"expires_at", FormatRfc3339(claims.expires_at)},
          {"channel", code::ChannelName(claims.channel)},
          {"rider_category",
           code::RiderCategoryName(claims.rider_category.value_or(code::RiderCategory::kAdult))},
          {"held_by_guardian", claims.held_by_guardian},
          {"scenes", scenes}};
}

json IdentityJson(const platform::IdentityStatus& status) {
  json history = json::array();
  for (const auto& e : status.history) {
    history.push_back({{"at", FormatRfc3339(e.at)},
                       {"event", e.event},
                       {"level", platform::AssuranceLevelName(e.level)},
                       {"method", e.method}});
  }
  json out = {{"level", platform::AssuranceLevelName(status.level)}, {"history", history}};
  if (status.verified_at) {
    out["method"] = status.method;
    out["verified_at"] = FormatRfc3339(*status.verified_at);
  }
  return out;
}

json GrantJson(const vault::Grant& g) {
  json out = {{"id", g.id},
              {"kind", vault::GrantKindName(g.kind)},
              {"org_id", g.org_id},
              {"types", g.type_codes},
              {"purpose", g.purpose},
              {"created_at", FormatRfc3339(g.created_at)},
              {"expires_at", FormatRfc3339(g.expires_at)}};
  if (g.used_at) out["used_at"] = FormatRfc3339(*g.used_at);
  if (g.revoked_at) out["revoked_at"] = FormatRfc3339(*g.revoked_at);
  return out;
}

json DependantJson(const vault::Dependant& d) {
  json out = {{"dependant_id", d.citizen_id},
              {"name", d.name},
              {"id_number", d.id_number_masked},
              {"ward_kind", d.ward_kind},
              {"certificate", d.certificate},
              {"since", FormatRfc3339(d.since)},
              {"live", !d.ended_at}};
  if (d.ended_at) {
    out["ended_at"] = FormatRfc3339(*d.ended_at);
    out["end_reason"] = d.end_reason;
  }
  return out;
}

json DevicesJson(const std::vector<platform::Device>& devices) {
  json out = json::array();
  for (const auto& d : devices) {
    json item = {{"id", d.id},
                 {"label", d.label},
                 {"channel", code::ChannelName(d.channel)},
                 {"state", platform::DeviceStateName(d.state)},
                 {"key_id", ToHex(d.key_id)},
                 {"held_by_guardian", d.held_by_guardian},
                 {"created_at", FormatRfc3339(d.created_at)}};
    if (d.ended_at) item["ended_at"] = FormatRfc3339(*d.ended_at);
    out.push_back(item);
  }
  return json{{"devices", out}};
}

json CertificatesJson(const std::vector<vault::CertificateSummary>& list) {
  json out = json::array();
  for (const auto& c : list) {
    out.push_back({{"identifier", c.identifier},
                   {"type_code", c.type_code},
                   {"type_name", c.type_name},
                   {"status", vault::CertificateStatusName(c.status)},
                   {"issuer_name", c.issuer_name},
                   {"valid_until", c.valid_until}});
  }
  return json{{"certificates", out}};
}

json AccessHistoryJson(const std::vector<vault::AccessRecord>& records) {
  json out = json::array();
  for (const auto& r : records) {
    json entry = {{"seq", r.seq},       {"at", FormatRfc3339(r.at)}, {"action", r.action},
                  {"org_id", r.org_id}, {"org_name", r.org_name},    {"purpose", r.purpose}};
    if (!r.identifiers.empty()) entry["certificates"] = r.identifiers;
    if (!r.reason.empty()) entry["reason"] = r.reason;
    out.push_back(entry);
  }
  return json{{"history", out}};
}

std::vector<api::Field> DeviceBody() {
  return {{.name = "public_key", .max_length = 1024, .description = "SPKI PEM", .multiline = true},
          {.name = "label", .required = false, .max_length = 64}};
}

api::Response EnrolDevice(platform::Platform& p, api::Call& call, const std::string& citizen_id,
                          const std::string& guardian_id) {
  auto key = crypto::PublicKey::FromPem(api::Text(call, "public_key"));
  if (!key.ok()) {
    return api::ErrorResponse(
        InvalidArgument("public_key is not a supported SPKI PEM key", "bad_public_key"));
  }
  return api::Respond(p.devices().Enrol({.citizen_id = citizen_id,
                                         .device_key = *key,
                                         .label = api::Text(call, "label"),
                                         .channel = *call.channel,
                                         .guardian_id = guardian_id}),
                      201, CredentialJson);
}

}  // namespace citycode::server::internal
