// Routes of an organisation's staff: the organisation's admin keeps the
// accounts, and a clerk signs in at a counter terminal (platform/staff.h).
#include <nlohmann/json.hpp>

#include "server/internal/core_routes.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;

json MemberJson(const platform::StaffMember& m) {
  json out = {{"id", m.id},
              {"login", m.login},
              {"active", m.active},
              {"created_at", FormatRfc3339(m.created_at)}};
  if (!m.name.empty()) out["name"] = m.name;
  return out;
}

void AddAccountRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/staff",
                    .name = "create_staff",
                    .summary = "A staff account, who signs in at the organisation's counters",
                    .roles = kOrgAdmins,
                    .body = {{.name = "login", .max_length = 32},
                             {.name = "name", .max_length = 200},
                             {.name = "password", .max_length = 1024}},
                    .success_status = 201,
                    .handler = [&p](Call& call) {
                      return Respond(p.staff().Create(Param(call, "org"), Text(call, "login"),
                                                      Text(call, "name"), Text(call, "password")),
                                     201, MemberJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/staff",
                    .name = "list_staff",
                    .summary = "The organisation's staff accounts",
                    .roles = kOrgAdmins,
                    .handler = [&p](Call& call) {
                      return Respond(p.staff().List(Param(call, "org")), 200,
                                     [](const std::vector<platform::StaffMember>& members) {
                                       json out = json::array();
                                       for (const auto& m : members) out.push_back(MemberJson(m));
                                       return json{{"staff", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/staff/{staff}/disable",
                    .name = "disable_staff",
                    .summary = "Disable a staff account; its sessions end at once",
                    .roles = kOrgAdmins,
                    .handler = [&p](Call& call) {
                      return Done(p.staff().Disable(Param(call, "org"), Param(call, "staff")),
                                  {{"active", false}});
                    }});
}

void AddCounterRoutes(platform::Platform& p, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/terminal/staff-sessions",
       .name = "staff_sign_in",
       .summary = "A clerk signs in at this terminal; send the token as X-Staff-Session with the "
                  "terminal's key, and what the counter does names the clerk",
       .roles = kTerminals,
       .body = {{.name = "login", .max_length = 32}, {.name = "password", .max_length = 1024}},
       .success_status = 201,
       .handler = [&p](Call& call) {
         return Respond(p.staff().SignIn(*call.principal, Text(call, "login"),
                                         Text(call, "password"), call.request.remote_address),
                        201, [](const platform::StaffSession& s) {
                          return json{{"token", s.token},
                                      {"staff", MemberJson(s.member)},
                                      {"expires_at", FormatRfc3339(s.expires_at)}};
                        });
       }});
  routes.push_back({.method = Method::kDelete,
                    .pattern = "/v1/terminal/staff-sessions/current",
                    .name = "staff_sign_out",
                    .summary = "The clerk named by X-Staff-Session signs out",
                    .roles = kTerminals,
                    .handler = [&p](Call& call) {
                      return Done(p.staff().SignOut(call.request.Header("x-staff-session")),
                                  {{"signed_out", true}});
                    }});
}

}  // namespace

std::vector<RouteSpec> StaffRoutes(platform::Platform& p) {
  std::vector<RouteSpec> routes;
  AddAccountRoutes(p, routes);
  AddCounterRoutes(p, routes);
  return routes;
}

}  // namespace citycode::server::internal
