#include "server/api.h"

#include <nlohmann/json.hpp>

#include "server/internal/routes.h"

namespace citycode::server {

using internal::Call;
using internal::RouteSpec;

namespace internal {

Response Json(int status, const nlohmann::json& body) { return JsonResponse(status, body.dump()); }

}  // namespace internal

namespace {

// "Bearer <token>" → token; empty if absent or another scheme.
std::string_view BearerToken(const Request& request) {
  std::string_view value = request.Header("authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  return value.substr(kScheme.size());
}

}  // namespace

struct Api::Impl {
  Impl(platform::Platform& p, store::Database& d, Metrics& m, ApiOptions o)
      : platform(p), db(d), metrics(m), options(o), limiter(o.rate_per_key, o.burst_per_key) {}

  platform::Platform& platform;
  store::Database& db;
  Metrics& metrics;
  const ApiOptions options;
  RateLimiter limiter;
  std::vector<RouteSpec> routes;
  std::string openapi;

  // Authentication, authorisation, rate limit and body validation around a
  // route's handler.
  Response Run(const RouteSpec& route, Request& request) {
    Call call{.request = request};
    platform::Principal principal;
    if (!route.roles.empty()) {
      const std::string_view token = BearerToken(request);
      if (token.empty()) {
        return ErrorResponse(Unauthenticated("this route needs a bearer token"));
      }
      auto authenticated = platform.Authenticate(token);
      if (!authenticated.ok()) return ErrorResponse(authenticated.status());
      principal = std::move(*authenticated);
      if (std::find(route.roles.begin(), route.roles.end(), principal.role) == route.roles.end()) {
        return ErrorResponse(PermissionDenied(
            "a " + std::string(platform::RoleName(principal.role)) + " may not call this route"));
      }
      call.principal = &principal;
      if (!limiter.Allow(principal.key_id)) {
        return ErrorResponse(ResourceExhausted("rate limit exceeded; slow down"), "rate_limited");
      }
    } else if (!limiter.Allow("addr:" + request.remote_address)) {
      return ErrorResponse(ResourceExhausted("rate limit exceeded; slow down"), "rate_limited");
    }
    if (route.needs_channel_key) {
      const std::string_view key = request.Header("x-channel-key");
      auto channel = key.empty()
                         ? Result<platform::Principal>(Unauthenticated(
                               "this route needs the issuing channel's key in X-Channel-Key"))
                         : platform.Authenticate(key);
      if (!channel.ok()) return ErrorResponse(channel.status());
      if (channel->role != platform::Role::kChannel) {
        return ErrorResponse(PermissionDenied("X-Channel-Key is not an issuing channel's key"));
      }
      call.channel = channel->channel;
    }
    if (!route.body.empty() || route.method == Method::kPost) {
      if (route.body.empty()) {
        if (!request.body.empty() && request.body != "{}") {
          return ErrorResponse(InvalidArgument("this route takes no body"), "unknown_field");
        }
      } else if (auto error = internal::ParseBody(request.body, route.body, call.body)) {
        return *error;
      }
    }
    if (std::chrono::steady_clock::now() > request.deadline) {
      return ErrorResponse(DeadlineExceeded("the server is overloaded; retry later"));
    }
    return route.handler(call);
  }

  Response Ready() {
    auto tx = db.Begin(store::TransactionMode::kRead);
    if (!tx.ok() || !(*tx)->Query("SELECT 1").ok()) {
      return ErrorResponse(Unavailable("the database is not reachable"));
    }
    return JsonResponse(200, R"({"status":"ready"})");
  }
};

Api::Api(platform::Platform& platform, vault::Vault& vault, gov::GovScene& gov,
         const transit::Feed* feed, transit::Rides* rides, transit::Clearing* clearing,
         store::Database& db, Metrics& metrics, ApiOptions options)
    : impl_(std::make_unique<Impl>(platform, db, metrics, options)) {
  impl_->routes = internal::PlatformRoutes(platform, internal::GrantOnPresentation(vault));
  for (auto more : {internal::VaultRoutes(vault), internal::GovRoutes(gov),
                    internal::TransitRoutes(platform, db, feed, rides, clearing)}) {
    impl_->routes.insert(impl_->routes.end(), more.begin(), more.end());
  }
  impl_->openapi = internal::OpenApiDocument(impl_->routes).dump(2);
}

Api::~Api() = default;

const std::string& Api::openapi() const { return impl_->openapi; }

void Api::RegisterRoutes(Router& router) {
  Impl* impl = impl_.get();
  router.Add(Method::kGet, "/healthz", "healthz",
             [](Request&) { return JsonResponse(200, R"({"status":"ok"})"); });
  router.Add(Method::kGet, "/readyz", "readyz", [impl](Request&) { return impl->Ready(); });
  router.Add(Method::kGet, "/metrics", "metrics", [impl](Request&) {
    return Response{
        .status = 200, .content_type = "text/plain; version=0.0.4", .body = impl->metrics.Render()};
  });
  router.Add(Method::kGet, "/v1/openapi.json", "openapi",
             [impl](Request&) { return JsonResponse(200, impl->openapi); });
  for (const RouteSpec& route : impl->routes) {
    router.Add(route.method, route.pattern, route.name,
               [impl, &route](Request& request) { return impl->Run(route, request); });
  }
}

}  // namespace citycode::server
