// How a route is declared: who may call it, the fields its JSON body may
// hold, and its handler. The server validates requests with the same
// declaration that generates the OpenAPI document, so the two cannot drift
// apart. Scenes declare their routes with these types (see api/scene.h).
#ifndef CITYCODE_API_ROUTE_H_
#define CITYCODE_API_ROUTE_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/http_message.h"
#include "platform/platform.h"

namespace citycode::api {

// kStringArray: an array of strings, each at most max_length bytes, at most
// max_items of them. kObject: a JSON object the handler's domain code
// validates (a certificate, say); the whole body's size limit bounds it.
// kObjectArray: an array of at most max_items JSON objects, each validated
// by the handler (a batch of taps).
enum class FieldType { kString, kInteger, kBoolean, kStringArray, kObject, kObjectArray };

// The JSON Schema type of a field: "string", "integer", "array", ...
std::string_view FieldTypeName(FieldType type);

struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = true;
  std::size_t max_length = 1024;  // strings, in bytes
  std::size_t max_items = 32;     // string and object arrays
  std::string description;
  // Strings never hold control characters (a label or purpose ends up on a
  // screen or in a log); a multiline one (a PEM key) may hold line breaks.
  bool multiline = false;
};

// What a handler gets: the request, the caller (none on public routes) and
// the validated body.
struct Call {
  Request& request;
  const platform::Principal* principal = nullptr;
  nlohmann::json body;
  // The issuing channel, for routes that issue credentials: a partner's by
  // its X-Channel-Key, or the city app for a citizen's own session.
  std::optional<code::Channel> channel;
};

struct RouteSpec {
  Method method = Method::kGet;
  std::string pattern;
  std::string name;  // metrics label and OpenAPI operationId
  std::string summary;
  std::vector<platform::Role> roles;  // empty: public
  // A terminal caller must verify for one of these scenes (empty: any). A
  // scene's routes get the scene's own (server/api.cc), so a gate of one
  // scene is refused another's before its body is read.
  std::vector<code::Scene> scenes;
  std::vector<Field> body;  // POST bodies; empty: no body expected
  // Query parameters, for the OpenAPI document; the handler reads and
  // checks them (Request::query).
  std::vector<Field> query;
  std::size_t max_body_bytes = 0;  // 0: the server's ([server] max_body_bytes)
  bool needs_channel_key = false;
  int success_status = 200;
  std::function<Response(Call&)> handler;
  // Instead of `handler`, for a route whose answer waits for a commit (POST
  // /v1/verify, through the platform's online commits): it starts the work
  // and returns, and the answer goes to `reply` once it is durable, so no
  // thread waits for the fsync. It runs on the server's I/O thread and must
  // not block; the route has no path parameters. Copy what the answer needs
  // from the Call: it ends when the handler returns.
  std::function<void(Call&, Reply)> answer_later;
  // Non-empty: the route takes a body of this media type
  // ("application/fhir+json") that its handler reads from Request::body
  // itself, bounded by max_body_bytes; `body` is then empty.
  std::string raw_body_type;
  // How this route's refusals look; empty: ErrorResponse. A route family
  // with its own error shape (FHIR's OperationOutcome) sets it, and the
  // server uses it for the refusals it makes itself (authentication, rate
  // limit, body validation).
  std::function<Response(const Status&)> render_error;
};

// Parses `text` as a JSON object holding only `fields`, each of its type;
// invalid_argument with reason malformed_json, unknown_field, wrong_type,
// missing_field or field_too_long otherwise.
Status ParseBody(std::string_view text, const std::vector<Field>& fields, nlohmann::json& out);

// --- helpers shared by the route files ---

inline const std::vector<platform::Role> kAdmins = {platform::Role::kAdmin};
inline const std::vector<platform::Role> kOrgAdmins = {platform::Role::kAdmin,
                                                       platform::Role::kOrgAdmin};
inline const std::vector<platform::Role> kCitizens = {platform::Role::kCitizen};
inline const std::vector<platform::Role> kTerminals = {platform::Role::kTerminal};

// A path parameter, and a body string ("" when the optional field is absent).
const std::string& Param(const Call& call, const char* name);
std::string Text(const Call& call, const char* name);
// A body string array (empty when absent).
std::vector<std::string> Strings(const Call& call, const char* name);
// invalid_argument "<what> must be 1-<max_bytes> bytes of text" unless
// `text` is that, without control characters: the scenes' own check of
// the names and numbers their library callers pass (routes refuse control
// characters before).
Status CheckText(std::string_view text, std::size_t max_bytes, std::string_view what);
// The string at `key` of a client's JSON object ("" when `object` is no
// object, or the key is absent or not a string): read without trusting the
// shape (json::value throws on another type).
std::string TextAt(const nlohmann::json& object, std::string_view key);

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

}  // namespace citycode::api

#endif  // CITYCODE_API_ROUTE_H_
