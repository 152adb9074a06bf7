// The route table behind the API: each route names who may call it and the
// fields its JSON body may hold; the same table validates requests and
// generates the OpenAPI document.
#ifndef CITYCODE_SERVER_INTERNAL_ROUTES_H_
#define CITYCODE_SERVER_INTERNAL_ROUTES_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "server/http.h"

namespace citycode::vault {
class Vault;
}
namespace citycode::gov {
class GovScene;
}
namespace citycode::transit {
struct Feed;
class Rides;
class Clearing;
}  // namespace citycode::transit

namespace citycode::server::internal {

// kStringArray: an array of strings, each at most max_length bytes, at most
// max_items of them. kObject: a JSON object the handler's domain code
// validates (a certificate, say); the whole body's size limit bounds it.
// kObjectArray: an array of at most max_items JSON objects, each validated
// by the handler (a batch of taps).
enum class FieldType { kString, kInteger, kBoolean, kStringArray, kObject, kObjectArray };

struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = true;
  std::size_t max_length = 1024;  // strings, in bytes
  std::size_t max_items = 32;     // string and object arrays
  std::string description;
};

// What a handler gets: the request, the caller (none on public routes) and
// the validated body.
struct Call {
  Request& request;
  const platform::Principal* principal = nullptr;
  nlohmann::json body;
  // The issuing channel, for routes that need X-Channel-Key.
  std::optional<code::Channel> channel;
};

struct RouteSpec {
  Method method = Method::kGet;
  std::string pattern;
  std::string name;  // metrics label and OpenAPI operationId
  std::string summary;
  std::vector<platform::Role> roles;  // empty: public
  std::vector<Field> body;            // POST bodies; empty: no body expected
  bool needs_channel_key = false;
  int success_status = 200;
  std::function<Response(Call&)> handler;
};

// Parses `text` as a JSON object holding only `fields`, each of its type;
// on failure returns the 400 response (malformed_json, unknown_field,
// wrong_type, missing_field, field_too_long).
std::optional<Response> ParseBody(std::string_view text, const std::vector<Field>& fields,
                                  nlohmann::json& out);

// --- helpers shared by the route files ---

inline const std::vector<platform::Role> kAdmins = {platform::Role::kAdmin};
inline const std::vector<platform::Role> kOrgAdmins = {platform::Role::kAdmin,
                                                       platform::Role::kOrgAdmin};
inline const std::vector<platform::Role> kCitizens = {platform::Role::kCitizen};
inline const std::vector<platform::Role> kTerminals = {platform::Role::kTerminal};

// Organisation routes ({org} in the path): an admin may touch any
// organisation, an organisation's admin only its own.
std::optional<Response> CheckOrgAccess(const Call& call);
// A path parameter, and a body string ("" when the optional field is absent).
const std::string& Param(const Call& call, const char* name);
std::string Text(const Call& call, const char* name);
// A body string array (empty when absent).
std::vector<std::string> Strings(const Call& call, const char* name);

// A JSON response body.
Response Json(int status, const nlohmann::json& body);

// The error response, or `status` with to_json(value).
template <typename T, typename F>
Response Respond(const Result<T>& result, int status, F&& to_json) {
  if (!result.ok()) return ErrorResponse(result.status());
  return Json(status, to_json(*result));
}
inline Response Done(const Status& status, const nlohmann::json& body) {
  if (!status.ok()) return ErrorResponse(status);
  return Json(200, body);
}

// Called after a valid online verification; what it returns is merged into
// the verify response (the vault adds the presentation grant).
using AfterVerify = std::function<nlohmann::json(const platform::Principal& terminal,
                                                 const platform::OnlineVerification& verification)>;

// The routes of the platform module (citizens, devices, organisations,
// terminals, keys, lists, online verification); handlers in
// platform_routes.cc.
std::vector<RouteSpec> PlatformRoutes(platform::Platform& platform, AfterVerify after_verify);
// The vault's routes (vault_routes.cc), and the verify hook that makes a
// presentation grant for the verifying organisation.
std::vector<RouteSpec> VaultRoutes(vault::Vault& vault);
AfterVerify GrantOnPresentation(vault::Vault& vault);
// The government service hall's routes (gov_routes.cc).
std::vector<RouteSpec> GovRoutes(gov::GovScene& gov);
// The transit routes (transit_routes.cc): tap uploads, riders' trips and
// bills, the daily clearing. With no feed configured (all three null) the
// routes exist but answer 503.
std::vector<RouteSpec> TransitRoutes(platform::Platform& platform, store::Database& db,
                                     const transit::Feed* feed, transit::Rides* rides,
                                     transit::Clearing* clearing);

// The OpenAPI 3.0 document for `routes`.
nlohmann::json OpenApiDocument(const std::vector<RouteSpec>& routes);

}  // namespace citycode::server::internal

#endif  // CITYCODE_SERVER_INTERNAL_ROUTES_H_
