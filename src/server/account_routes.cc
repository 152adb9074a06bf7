// Routes of a citizen's rights over their account (PIPL art. 45, 47): a
// copy of everything the city holds about them, and deletion.
#include <nlohmann/json.hpp>

#include "server/internal/core_routes.h"
#include "server/internal/views.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;

json AccountJson(const platform::AccountRecord& a) {
  json out = {{"citizen_id", a.citizen_id},
              {"name", a.name},
              {"id_number", a.id_number},
              {"phone", a.phone},
              {"created_at", FormatRfc3339(a.created_at)}};
  if (a.phone_verified_at) out["phone_verified_at"] = FormatRfc3339(*a.phone_verified_at);
  return out;
}

// Everything the city holds about the citizen, as their own views show it.
Result<json> Export(city::City& city, const std::string& citizen) {
  platform::Platform& p = city.platform();
  vault::Vault& v = city.vault();
  json out = json::object();
  CITYCODE_ASSIGN_OR_RETURN(platform::AccountRecord account, p.citizens().Own(citizen));
  out["account"] = AccountJson(account);
  CITYCODE_ASSIGN_OR_RETURN(platform::IdentityStatus identity, p.identities().Get(citizen));
  out["identity"] = IdentityJson(identity);
  CITYCODE_ASSIGN_OR_RETURN(std::vector<platform::Device> devices, p.devices().List(citizen));
  out["devices"] = DevicesJson(devices)["devices"];
  auto certificates = v.ListCertificates(citizen);  // none before the identity is verified
  out["certificates"] =
      certificates.ok() ? CertificatesJson(*certificates)["certificates"] : json::array();
  CITYCODE_ASSIGN_OR_RETURN(std::vector<vault::Grant> grants, v.ListGrants(citizen));
  out["grants"] = json::array();
  for (const vault::Grant& g : grants) out["grants"].push_back(GrantJson(g));
  // The newest kMaxHistory entries; `access_history_complete` says whether
  // that is all (the audit log lists at most that many at once).
  constexpr std::size_t kMaxHistory = 1000;
  CITYCODE_ASSIGN_OR_RETURN(std::vector<vault::AccessRecord> history,
                            v.AccessHistory(citizen, kMaxHistory));
  out["access_history_complete"] = history.size() < kMaxHistory;
  out["access_history"] = AccessHistoryJson(history)["history"];
  CITYCODE_ASSIGN_OR_RETURN(std::vector<vault::Dependant> dependants, v.ListDependants(citizen));
  out["dependants"] = json::array();
  for (const vault::Dependant& d : dependants) out["dependants"].push_back(DependantJson(d));
  CITYCODE_ASSIGN_OR_RETURN(out["scenes"], city.ExportScenes(citizen));
  return out;
}

}  // namespace

std::vector<api::RouteSpec> AccountRoutes(city::City& city) {
  std::vector<RouteSpec> routes;
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/export",
                    .name = "export_my_data",
                    .summary = "A copy of everything the city holds about me (PIPL art. 45): "
                               "account, identity, devices, certificates, consents, access "
                               "history, dependants and each scene's records",
                    .roles = kCitizens,
                    .handler = [&city](Call& call) {
                      return Respond(Export(city, call.principal->citizen_id), 200,
                                     [](const json& doc) { return doc; });
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/deletion",
       .name = "delete_my_account",
       .summary = "Delete my account, confirmed by my password (PIPL art. 47): personal data "
                  "erased, codes revoked, consents revoked; the answer lists what the law "
                  "requires be kept, and why",
       .roles = kCitizens,
       .body = {{.name = "password", .max_length = 1024}},
       .handler = [&city](Call& call) {
         return Respond(city.DeleteAccount(call.principal->citizen_id, Text(call, "password")), 200,
                        [](const std::vector<std::string>& kept) {
                          return json{{"deleted", true}, {"kept", kept}};
                        });
       }});
  return routes;
}

}  // namespace citycode::server::internal
