// The HTTP messages the server hands to what it serves, and the one JSON
// error shape. No networking here: the Beast/Asio core is server/. This
// module sits below the scenes, so a scene declares and answers its routes
// without depending on the server.
#ifndef CITYCODE_API_HTTP_MESSAGE_H_
#define CITYCODE_API_HTTP_MESSAGE_H_

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace citycode::api {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete };

struct Request {
  Method method = Method::kGet;
  std::string path;                                // without the query, still %-encoded
  std::map<std::string, std::string> query;        // decoded; the first of repeated keys wins
  std::map<std::string, std::string> path_params;  // from the route pattern, decoded
  std::map<std::string, std::string> headers;      // names lower-cased
  std::string body;
  std::string remote_address;                      // "127.0.0.1"
  std::chrono::steady_clock::time_point deadline;  // answer before this
  // Names this request in the log and in its answer (X-Request-Id), so an
  // operator finds the detail of an error a client reports.
  std::string id;

  // The header's value, or "" if absent (name lower-case).
  std::string_view Header(std::string_view name) const;
};

// The server adds Content-Length, Connection, X-Request-Id and
// "Cache-Control: no-store" (unless `headers` sets Cache-Control); framing
// headers in `headers` (Content-Length, Transfer-Encoding, Connection) and
// headers with invalid names or values are dropped.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // A system error's detail (SQL, paths, values): the server logs it under
  // the request id and adds that id to the answer; never sent.
  std::string log_detail;
};

// {"error": {"code": "<reason>", "message": "<one line>"}} with the status
// that fits the code: invalid_argument 400, unauthenticated 401,
// permission_denied 403, not_found 404, already_exists, failed_precondition
// and aborted 409, resource_exhausted 429, deadline_exceeded and unavailable
// 503, internal 500. The machine code is the status's reason().
//
// A system status (Status::is_system(): storage, files, bugs) never shows
// its message: unavailable, aborted, resource_exhausted and
// deadline_exceeded become 503 "unavailable", anything else 500 "internal",
// each with a generic message, and the detail goes to `log_detail`. An ok
// status is a caller bug and is treated as internal.
// How a handler that answers later gives its answer: called once, from any
// thread.
using Reply = std::function<void(Response)>;

Response ErrorResponse(const Status& status);
Response JsonResponse(int status, std::string body);
Response Json(int status, const nlohmann::json& body);

// Appends the percent-decoded `in` to `*out`; in a query component or a
// form ('+' is a space there) pass plus_is_space. False, with `*out` in an
// unspecified state, if a '%' is not followed by two hex digits.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);
// Decodes application/x-www-form-urlencoded text (a query, or a POSTed form)
// into `*out`: keys and values decoded, "y" maps to "", empty keys skipped,
// the first of repeated keys wins. False for a malformed escape.
bool ParseForm(std::string_view text, std::map<std::string, std::string>* out);

// What the server does with every answer before sending it: a system error's
// detail is returned for the log and the answer's error object gets
// "request_id". Returns the detail ("" when there is none).
std::string TakeLogDetail(const Request& request, Response& response);

}  // namespace citycode::api

#endif  // CITYCODE_API_HTTP_MESSAGE_H_
