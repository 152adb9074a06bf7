// The routes of the city's shared parts, which are no scene: the platform
// (citizens, devices, organisations, terminals, keys, lists) and the vault
// (certificates, consent, audit, and the online verification, which makes
// the presentation grant). HTTP <-> domain translation only.
#ifndef CITYCODE_SERVER_INTERNAL_CORE_ROUTES_H_
#define CITYCODE_SERVER_INTERNAL_CORE_ROUTES_H_

#include <vector>

#include "api/route.h"
#include "city/city.h"
#include "platform/platform.h"
#include "server/api.h"
#include "server/http.h"
#include "vault/vault.h"

namespace citycode::server::internal {

// What the two route files declare their routes with.
using api::Call;
using api::Done;
using api::FieldType;
using api::Json;
using api::kAdmins;
using api::kCitizens;
using api::kOrgAdmins;
using api::kTerminals;
using api::Param;
using api::Respond;
using api::RouteSpec;
using api::Strings;
using api::Text;

std::vector<api::RouteSpec> PlatformRoutes(platform::Platform& platform);  // platform_routes.cc
std::vector<api::RouteSpec> VaultRoutes(vault::Vault& vault);              // vault_routes.cc
std::vector<api::RouteSpec> DependantRoutes(platform::Platform& platform,  // dependant_routes.cc
                                            vault::Vault& vault);
std::vector<api::RouteSpec> AccountRoutes(city::City& city);            // account_routes.cc
std::vector<api::RouteSpec> StaffRoutes(platform::Platform& platform);  // staff_routes.cc
std::vector<api::RouteSpec> OpsRoutes(city::City& city,                 // ops_routes.cc
                                      const Clock& clock);
std::vector<api::RouteSpec> DemoRoutes(platform::Platform& platform,  // demo_routes.cc
                                       const DemoOptions& demo, const Clock& clock);

}  // namespace citycode::server::internal

#endif  // CITYCODE_SERVER_INTERNAL_CORE_ROUTES_H_
