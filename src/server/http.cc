// Request helpers, the JSON error mapping and the router. The listener and
// sessions are in http_server.cc, the metrics in http_metrics.cc.
//
// Routing: a pattern is split into '/'-separated segments, each a literal or
// a {parameter}. A path matches a route with the same number of segments
// whose literals are equal and whose parameters face non-empty segments.
// Among matching routes for the method, the one with a literal at the first
// position where they differ wins ("/orgs/me" beats "/orgs/{org}"), which is
// a comparison of per-route bit masks of parameter positions. Routes are few
// (dozens), so a linear scan over pre-split patterns is cheaper than a trie
// and allocates nothing.
#include "server/http.h"

#include <algorithm>
#include <array>
#include <exception>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "server/internal/log.h"
#include "server/internal/target.h"

namespace citycode::server {
namespace {

// Longer paths cannot match a route (patterns are checked against it too).
constexpr std::size_t kMaxSegments = 32;
constexpr std::string_view kUnmatched = "unmatched";

unsigned MethodBit(Method m) { return 1u << static_cast<unsigned>(m); }

// Splits "/a/b" into {"a", "b"}; "/" has no segments. False if there are
// more than kMaxSegments.
bool SplitPath(std::string_view path, std::array<std::string_view, kMaxSegments>* out,
               std::size_t* count) {
  *count = 0;
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    if (*count == kMaxSegments) return false;
    (*out)[(*count)++] = path.substr(start, slash - start);
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string AllowHeader(unsigned methods) {
  // GET implies HEAD (the server answers HEAD from the GET handler).
  if (methods & MethodBit(Method::kGet)) methods |= MethodBit(Method::kHead);
  static constexpr std::array<std::pair<Method, std::string_view>, 6> kNames = {{
      {Method::kGet, "GET"},
      {Method::kHead, "HEAD"},
      {Method::kPost, "POST"},
      {Method::kPut, "PUT"},
      {Method::kPatch, "PATCH"},
      {Method::kDelete, "DELETE"},
  }};
  std::string allow;
  for (const auto& [method, name] : kNames) {
    if (!(methods & MethodBit(method))) continue;
    if (!allow.empty()) allow += ", ";
    allow += name;
  }
  return allow;
}

}  // namespace

struct Router::Route {
  Method method;
  std::string name;
  Handler handler;
  LaterHandler later;              // instead of `handler`, for a route that answers later
  std::size_t max_body_bytes = 0;  // 0: the server's limit
  // Literal text, or the parameter name when the bit in param_mask is set.
  std::vector<std::string> segments;
  // Bit (63 - i) set if segment i is a parameter: a smaller mask is a more
  // specific route.
  std::uint64_t param_mask = 0;

  bool IsParam(std::size_t i) const { return (param_mask >> (63 - i)) & 1u; }

  bool Matches(const std::array<std::string_view, kMaxSegments>& path, std::size_t n) const {
    if (n != segments.size()) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if (IsParam(i) ? path[i].empty() : path[i] != segments[i]) return false;
    }
    return true;
  }
};

void Router::Add(Method method, std::string pattern, std::string name, Handler handler,
                 std::size_t max_body_bytes, bool runs_inline) {
  // Misconfigured routes are programming errors found at startup.
  std::array<std::string_view, kMaxSegments> parts;
  std::size_t n = 0;
  if (!SplitPath(pattern, &parts, &n)) {
    throw std::invalid_argument("route pattern must start with '/' and be short: " + pattern);
  }
  auto route = std::make_shared<Route>();
  route->method = method;
  route->name = std::move(name);
  route->handler = std::move(handler);
  route->max_body_bytes = max_body_bytes;
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view part = parts[i];
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      part = part.substr(1, part.size() - 2);
      if (part.empty()) throw std::invalid_argument("empty parameter name in " + pattern);
      route->param_mask |= std::uint64_t{1} << (63 - i);
    } else if (part.empty() || part.find_first_of("{}") != std::string_view::npos) {
      throw std::invalid_argument("bad route segment in " + pattern);
    }
    route->segments.emplace_back(part);
  }
  for (const auto& other : routes_) {
    if (other->method != method || other->param_mask != route->param_mask ||
        other->segments.size() != route->segments.size()) {
      continue;
    }
    bool same = true;
    for (std::size_t i = 0; i < n && same; ++i) {
      same = route->IsParam(i) || route->segments[i] == other->segments[i];
    }
    if (same) throw std::invalid_argument("duplicate route pattern " + pattern);
  }
  if (runs_inline) {
    if (route->param_mask != 0) {
      throw std::invalid_argument("an inline route has no parameters: " + pattern);
    }
    inline_routes_.emplace_back(method, pattern);
  }
  routes_.push_back(std::move(route));
}

void Router::AddLater(Method method, std::string pattern, std::string name, LaterHandler handler,
                      std::size_t max_body_bytes) {
  Add(method, pattern, std::move(name), nullptr, max_body_bytes);
  Route& route = *routes_.back();
  if (route.param_mask != 0) {
    throw std::invalid_argument("a route that answers later has no parameters: " + pattern);
  }
  route.later = std::move(handler);
  later_routes_.push_back({.method = method, .path = std::move(pattern), .route = &route});
}

bool Router::AnswersLater(Method method, std::string_view path) const {
  return std::any_of(later_routes_.begin(), later_routes_.end(), [&](const LaterRoute& route) {
    return route.method == method && route.path == path;
  });
}

void Router::DispatchLater(Request& request, std::string* route_name, api::Reply reply) const {
  const auto it =
      std::find_if(later_routes_.begin(), later_routes_.end(), [&](const LaterRoute& route) {
        return route.method == request.method && route.path == request.path;
      });
  if (it == later_routes_.end()) {  // the caller skipped AnswersLater
    route_name->assign(kUnmatched);
    return reply(ErrorResponse(NotFound("no such resource")));
  }
  const Route& route = *it->route;
  route_name->assign(route.name);
  request.path_params.clear();
  // The detail is logged once, under the request id, when the answer comes.
  auto answer = [&request, &route, reply = std::move(reply)](Response response) {
    if (std::string detail = api::TakeLogDetail(request, response); !detail.empty()) {
      internal::LogError("request " + request.id + " (" + route.name + ")", detail);
    }
    reply(std::move(response));
  };
  try {
    route.later(request, answer);
  } catch (const std::exception& e) {
    answer(ErrorResponse(Internal("the handler threw: " + std::string(e.what()))));
  } catch (...) {
    answer(ErrorResponse(Internal("the handler threw a non-exception")));
  }
}

const Router::Route* Router::Find(Method method, std::string_view path) const {
  std::array<std::string_view, kMaxSegments> parts;
  std::size_t n = 0;
  if (!SplitPath(path, &parts, &n)) return nullptr;
  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (route->method != method || !route->Matches(parts, n)) continue;
    if (best == nullptr || route->param_mask < best->param_mask) best = route.get();
  }
  return best;
}

std::size_t Router::BodyLimit(Method method, std::string_view path, std::size_t fallback) const {
  const Route* route = Find(method, path);
  return route != nullptr && route->max_body_bytes > 0 ? route->max_body_bytes : fallback;
}

bool Router::RunsInline(Method method, std::string_view path) const {
  if (method == Method::kHead) method = Method::kGet;
  return std::any_of(inline_routes_.begin(), inline_routes_.end(), [&](const auto& route) {
    return route.first == method && route.second == path;
  });
}

std::size_t Router::LargestBodyLimit(std::size_t fallback) const {
  std::size_t largest = fallback;
  for (const auto& route : routes_) largest = std::max(largest, route->max_body_bytes);
  return largest;
}

Response Router::Dispatch(Request& request, std::string* route_name) const {
  std::array<std::string_view, kMaxSegments> parts;
  std::size_t n = 0;
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // HEAD falls back to GET
  unsigned allowed = 0;
  if (SplitPath(request.path, &parts, &n)) {
    for (const auto& route : routes_) {
      if (!route->Matches(parts, n)) continue;
      allowed |= MethodBit(route->method);
      if (route->method == request.method) {
        if (best == nullptr || route->param_mask < best->param_mask) best = route.get();
      } else if (request.method == Method::kHead && route->method == Method::kGet) {
        if (best_get == nullptr || route->param_mask < best_get->param_mask) {
          best_get = route.get();
        }
      }
    }
  }
  if (best == nullptr) best = best_get;
  if (best == nullptr) {
    route_name->assign(kUnmatched);
    if (allowed == 0) return ErrorResponse(NotFound("no such resource"));
    Response response = ErrorResponse(
        InvalidArgument("method not allowed for this resource", "method_not_allowed"));
    response.status = 405;
    response.headers.emplace_back("Allow", AllowHeader(allowed));
    return response;
  }

  route_name->assign(best->name);
  request.path_params.clear();
  for (std::size_t i = 0; i < n; ++i) {
    if (!best->IsParam(i)) continue;
    std::string value;
    if (!api::PercentDecode(parts[i], /*plus_is_space=*/false, &value)) {
      return ErrorResponse(InvalidArgument("malformed percent-escape in the path", "bad_request"));
    }
    request.path_params.insert_or_assign(best->segments[i], std::move(value));
  }
  Response response = Run(*best, request);
  if (std::string detail = api::TakeLogDetail(request, response); !detail.empty()) {
    internal::LogError("request " + request.id + " (" + best->name + ")", detail);
  }
  return response;
}

Response Router::Run(const Route& route, Request& request) const {
  // The detail is logged once, under the request id, by Dispatch.
  try {
    if (route.later) {
      auto answered = std::make_shared<std::promise<Response>>();
      std::future<Response> answer = answered->get_future();
      route.later(request,
                  [answered](Response response) { answered->set_value(std::move(response)); });
      return answer.get();
    }
    return route.handler(request);
  } catch (const std::exception& e) {
    return ErrorResponse(Internal("the handler threw: " + std::string(e.what())));
  } catch (...) {
    return ErrorResponse(Internal("the handler threw a non-exception"));
  }
}

}  // namespace citycode::server
