// Routes of a guardian for their dependants (vault.h): add, list and end a
// link, and act for a dependant — make their codes, see their certificates
// and access history. Every call for a dependant re-checks the link.
#include <nlohmann/json.hpp>

#include "server/internal/core_routes.h"
#include "server/internal/views.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;

// Runs `act` with the dependant's account id if the caller is their live
// guardian; the link's refusal otherwise.
template <typename F>
api::Response ForDependant(vault::Vault& v, Call& call, F&& act) {
  auto dependant = v.ActFor(call.principal->citizen_id, Param(call, "dependant"));
  if (!dependant.ok()) return api::ErrorResponse(dependant.status());
  return act(*dependant);
}

void AddLinkRoutes(vault::Vault& v, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/dependants",
       .name = "add_dependant",
       .summary = "Become the guardian of a child or ward whose guardianship certificate in the "
                  "vault names you",
       .roles = kCitizens,
       .body = {{.name = "name", .max_length = 128}, {.name = "id_number", .max_length = 18}},
       .success_status = 201,
       .handler = [&v](Call& call) {
         return Respond(v.AddDependant(call.principal->citizen_id,
                                       {Text(call, "name"), Text(call, "id_number")}),
                        201, DependantJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/dependants",
                    .name = "list_dependants",
                    .summary = "My dependants, ended links included (newest first)",
                    .roles = kCitizens,
                    .handler = [&v](Call& call) {
                      return Respond(v.ListDependants(call.principal->citizen_id), 200,
                                     [](const std::vector<vault::Dependant>& list) {
                                       json out = json::array();
                                       for (const auto& d : list) out.push_back(DependantJson(d));
                                       return json{{"dependants", out}};
                                     });
                    }});
  routes.push_back(
      {.method = Method::kDelete,
       .pattern = "/v1/me/dependants/{dependant}",
       .name = "end_dependant",
       .summary = "End my guardian link: the devices I hold for the dependant end at once",
       .roles = kCitizens,
       .handler = [&v](Call& call) {
         return Done(v.EndDependant(call.principal->citizen_id, Param(call, "dependant")),
                     {{"dependant_id", Param(call, "dependant")}, {"live", false}});
       }});
}

void AddActingRoutes(platform::Platform& p, vault::Vault& v, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/dependants/{dependant}/devices",
                    .name = "enrol_dependant_device",
                    .summary = "Bind a key on my phone for the dependant and issue their own "
                               "credential, which says a guardian holds it",
                    .roles = kCitizens,
                    .body = DeviceBody(),
                    .needs_channel_key = true,
                    .success_status = 201,
                    .handler = [&p, &v](Call& call) {
                      return ForDependant(v, call, [&](const std::string& dependant) {
                        return EnrolDevice(p, call, dependant, call.principal->citizen_id);
                      });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/dependants/{dependant}/devices",
                    .name = "list_dependant_devices",
                    .summary = "The dependant's devices",
                    .roles = kCitizens,
                    .handler = [&p, &v](Call& call) {
                      return ForDependant(v, call, [&](const std::string& dependant) {
                        return Respond(p.devices().List(dependant), 200, DevicesJson);
                      });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/dependants/{dependant}/devices/{device}/renew",
                    .name = "renew_dependant_credential",
                    .summary = "A fresh credential for a dependant's active device",
                    .roles = kCitizens,
                    .needs_channel_key = true,
                    .success_status = 201,
                    .handler = [&p, &v](Call& call) {
                      return ForDependant(v, call, [&](const std::string& dependant) {
                        return Respond(
                            p.devices().RenewCredential(dependant, Param(call, "device")), 201,
                            CredentialJson);
                      });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/dependants/{dependant}/devices/{device}/lost",
                    .name = "report_dependant_device_lost",
                    .summary = "Report a dependant's device lost: its credentials are revoked",
                    .roles = kCitizens,
                    .handler = [&p, &v](Call& call) {
                      return ForDependant(v, call, [&](const std::string& dependant) {
                        return Done(p.devices().ReportLost(dependant, Param(call, "device")),
                                    {{"device_id", Param(call, "device")}, {"state", "lost"}});
                      });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/dependants/{dependant}/certificates",
                    .name = "dependant_certificates",
                    .summary = "The dependant's certificates in the vault",
                    .roles = kCitizens,
                    .handler = [&v](Call& call) {
                      return ForDependant(v, call, [&](const std::string& dependant) {
                        return Respond(v.ListCertificates(dependant), 200, CertificatesJson);
                      });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/dependants/{dependant}/access-history",
                    .name = "dependant_access_history",
                    .summary = "Who fetched the dependant's certificates, when and why",
                    .roles = kCitizens,
                    .handler = [&v](Call& call) {
                      return ForDependant(v, call, [&](const std::string& dependant) {
                        return Respond(v.AccessHistory(dependant), 200, AccessHistoryJson);
                      });
                    }});
}

}  // namespace

std::vector<api::RouteSpec> DependantRoutes(platform::Platform& platform, vault::Vault& vault) {
  std::vector<RouteSpec> routes;
  AddLinkRoutes(vault, routes);
  AddActingRoutes(platform, vault, routes);
  return routes;
}

}  // namespace citycode::server::internal
