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

namespace citycode::server::internal {

enum class FieldType { kString, kInteger, kBoolean };

struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = true;
  std::size_t max_length = 1024;  // strings, in bytes
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

// The routes of the platform module (citizens, devices, organisations,
// terminals, keys, lists, online verification); handlers in
// platform_routes.cc.
std::vector<RouteSpec> PlatformRoutes(platform::Platform& platform);

// A JSON response body.
Response Json(int status, const nlohmann::json& body);

// The OpenAPI 3.0 document for `routes`.
nlohmann::json OpenApiDocument(const std::vector<RouteSpec>& routes);

}  // namespace citycode::server::internal

#endif  // CITYCODE_SERVER_INTERNAL_ROUTES_H_
