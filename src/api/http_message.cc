#include "api/http_message.h"

namespace citycode::api {
namespace {

using nlohmann::json;

int HttpStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal:
    case StatusCode::kOk: return 500;
  }
  return 500;
}

// The storage or machinery is busy, full or gone: worth a retry later.
bool IsTransient(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kAborted ||
         code == StatusCode::kResourceExhausted || code == StatusCode::kDeadlineExceeded;
}

Response ErrorJson(int status, std::string_view code, std::string_view message) {
  json body;
  body["error"]["code"] = code;
  body["error"]["message"] = message;
  // replace: a message with invalid UTF-8 must not throw here.
  return {.status = status, .body = body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

Response ErrorResponse(const Status& status) {
  if (status.ok()) {
    Response response = ErrorJson(500, "internal", "internal error");
    response.log_detail = "an error answer was made from an ok status";
    return response;
  }
  if (!status.is_system()) {
    return ErrorJson(HttpStatus(status.code()), status.reason(), status.message());
  }
  Response response =
      IsTransient(status.code())
          ? ErrorJson(503, "unavailable", "the service cannot do this now; retry later")
          : ErrorJson(500, "internal", "internal error");
  response.log_detail = status.ToString();
  if (response.log_detail.empty()) response.log_detail = "internal error without detail";
  return response;
}

Response JsonResponse(int status, std::string body) {
  return {.status = status, .body = std::move(body)};
}

Response Json(int status, const json& body) { return JsonResponse(status, body.dump()); }

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->reserve(out->size() + in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseForm(std::string_view text, std::map<std::string, std::string>* out) {
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key;
    if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
    std::string value;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value)) {
      return false;
    }
    if (key.empty()) continue;
    out->emplace(std::move(key), std::move(value));  // keeps the first
  }
  return true;
}

std::string TakeLogDetail(const Request& request, Response& response) {
  if (response.log_detail.empty()) return {};
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    body["error"]["request_id"] = request.id;
    response.body = body.dump();
  } else if (body.is_object() && body.value("resourceType", "") == "OperationOutcome" &&
             body["issue"].is_array() && !body["issue"].empty()) {
    json& issue = body["issue"][0];
    issue["diagnostics"] = issue.value("diagnostics", "") + " (request id " + request.id + ")";
    response.body = body.dump();
  }
  return std::exchange(response.log_detail, {});
}

}  // namespace citycode::api
