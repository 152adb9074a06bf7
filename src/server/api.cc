#include "server/api.h"

#include <malloc.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "common/backoff.h"
#include "server/internal/core_routes.h"
#include "server/internal/openapi.h"

namespace citycode::server {

using api::Call;
using api::RouteSpec;

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

// The heap as malloc sees it, at each scrape: what is in use against what it
// keeps freed, so a growing RSS can be told apart (a holder that grows, or
// free lists). (SQLite's share is not counted: its memory statistics are off,
// store/internal/sqlite.cc.) None when another allocator stands in for
// glibc's (a sanitizer's reports an empty heap): a zero would be false.
void SetMemoryGauges(Metrics& metrics) {
  const struct mallinfo2 heap = mallinfo2();
  if (heap.arena == 0 && heap.hblkhd == 0) return;
  metrics.SetGauge("citycode_heap_in_use_bytes",
                   "Bytes malloc has handed out and not had back (glibc mallinfo2)",
                   static_cast<double>(heap.uordblks + heap.hblkhd));
  metrics.SetGauge("citycode_heap_free_bytes", "Bytes freed but kept by malloc for reuse",
                   static_cast<double>(heap.fordblks));
}

}  // namespace

struct Api::Impl {
  Impl(city::City& c, Metrics& m, ApiOptions o)
      : platform(c.platform()),
        db(c.database()),
        metrics(m),
        options(o),
        limiter(o.rate_per_key, o.burst_per_key),
        bad_tokens(o.bad_tokens_per_address, std::chrono::seconds(1), std::chrono::minutes(5)) {}

  platform::Platform& platform;
  store::Database& db;
  Metrics& metrics;
  const ApiOptions options;
  RateLimiter limiter;
  FailureBackoff bad_tokens;  // by client address
  std::vector<RouteSpec> routes;
  std::string openapi;

  // A route's handler, once Admit lets the request through.
  Response Run(const RouteSpec& route, Request& request) {
    Call call{.request = request};
    platform::Principal principal;
    if (std::optional<Response> refused = Admit(route, call, principal)) return *refused;
    return route.handler(call);
  }

  void RunLater(const RouteSpec& route, Request& request, api::Reply reply) {
    Call call{.request = request};
    platform::Principal principal;
    if (std::optional<Response> refused = Admit(route, call, principal)) {
      return reply(std::move(*refused));
    }
    route.answer_later(call, std::move(reply));
  }

  // Authentication, authorisation, rate limit and body validation: the
  // refusal, or nullopt with `call` ready for the handler (its principal
  // `principal`).
  std::optional<Response> Admit(const RouteSpec& route, Call& call,
                                platform::Principal& principal) {
    const auto refuse = [&route](const Status& status) {
      return route.render_error ? route.render_error(status) : ErrorResponse(status);
    };
    Request& request = call.request;
    if (!route.roles.empty()) {
      const std::string_view token = BearerToken(request);
      if (token.empty()) return refuse(Unauthenticated("this route needs a bearer token"));
      if (bad_tokens.Wait(request.remote_address).count() > 0) return refuse(RateLimited());
      auto authenticated = platform.access_keys().Authenticate(token);
      if (!authenticated.ok()) {
        if (authenticated.status().code() == StatusCode::kUnauthenticated) {
          bad_tokens.Failed(request.remote_address);
        }
        return refuse(authenticated.status());
      }
      principal = std::move(*authenticated);
      if (std::find(route.roles.begin(), route.roles.end(), principal.role) == route.roles.end()) {
        const std::string_view role = platform::RoleName(principal.role);
        return refuse(PermissionDenied(
            std::string(role.starts_with("a") || role.starts_with("o") ? "an " : "a ") +
            std::string(role) + " may not call this route"));
      }
      // Organisation routes ({org} in the path): an organisation's admin
      // touches its own only.
      if (const auto org = request.path_params.find("org");
          principal.role == platform::Role::kOrgAdmin && org != request.path_params.end() &&
          org->second != principal.org_id) {
        return refuse(PermissionDenied("this key may not administer that organisation"));
      }
      if (principal.role == platform::Role::kTerminal && !route.scenes.empty() &&
          std::find(route.scenes.begin(), route.scenes.end(), principal.scene) ==
              route.scenes.end()) {
        return refuse(PermissionDenied("a terminal of the " +
                                           std::string(code::SceneName(*principal.scene)) +
                                           " scene may not call this route",
                                       "scene_not_permitted"));
      }
      call.principal = &principal;
      if (!limiter.Allow(principal.key_id)) return refuse(RateLimited());
      if (Status staff = NameTheClerk(request, principal); !staff.ok()) return refuse(staff);
    } else if (!limiter.Allow("addr:" + request.remote_address)) {
      return refuse(RateLimited());
    }
    if (route.needs_channel_key) {
      auto channel = IssuingChannel(request, principal);
      if (!channel.ok()) return refuse(channel.status());
      call.channel = *channel;
    }
    if (route.raw_body_type.empty() && (!route.body.empty() || route.method == Method::kPost)) {
      if (route.body.empty()) {
        if (!request.body.empty() && request.body != "{}") {
          return refuse(InvalidArgument("this route takes no body", "unknown_field"));
        }
      } else if (Status parsed = api::ParseBody(request.body, route.body, call.body);
                 !parsed.ok()) {
        return refuse(parsed);
      }
    }
    if (std::chrono::steady_clock::now() > request.deadline) {
      return refuse(DeadlineExceeded("the server is overloaded; retry later"));
    }
    return std::nullopt;
  }

  // A terminal's request with X-Staff-Session names the clerk signed in
  // there (platform/staff.h); a session that is not live at this terminal
  // is refused rather than ignored, so the counter signs in again.
  Status NameTheClerk(const Request& request, platform::Principal& principal) {
    const std::string_view token = request.Header("x-staff-session");
    if (token.empty() || principal.role != platform::Role::kTerminal) return OkStatus();
    auto member = platform.staff().Authenticate(principal, token);
    if (!member.ok()) {
      return Unauthenticated(member.status().message(), "staff_session_invalid");
    }
    principal.staff_id = member->id;
    return OkStatus();
  }

  static Status RateLimited() {
    return ResourceExhausted("rate limit exceeded; slow down", "rate_limited");
  }

  // The channel a credential is issued through: a partner app's, named by
  // its X-Channel-Key; without one, a citizen's own session is the city
  // app — the platform's first-party pages, which hold no key.
  Result<code::Channel> IssuingChannel(const Request& request, const platform::Principal& caller) {
    const std::string_view key = request.Header("x-channel-key");
    if (key.empty()) {
      if (caller.role == platform::Role::kCitizen) return code::Channel::kApp;
      return Unauthenticated("this route needs the issuing channel's key in X-Channel-Key");
    }
    CITYCODE_ASSIGN_OR_RETURN(platform::Principal channel,
                              platform.access_keys().Authenticate(key));
    if (channel.role != platform::Role::kChannel) {
      return PermissionDenied("X-Channel-Key is not an issuing channel's key");
    }
    return *channel.channel;
  }

  Response Ready() {
    if (!db.Ping().ok()) return ErrorResponse(Unavailable("the database is not reachable"));
    return JsonResponse(200, R"({"status":"ready"})");
  }
};

Api::Api(city::City& city, const Clock& clock, Metrics& metrics, ApiOptions options)
    : impl_(std::make_unique<Impl>(city, metrics, options)) {
  std::vector<RouteSpec>& routes = impl_->routes;
  routes = internal::PlatformRoutes(city.platform());
  std::ranges::move(internal::VaultRoutes(city.vault()), std::back_inserter(routes));
  std::ranges::move(internal::DependantRoutes(city.platform(), city.vault()),
                    std::back_inserter(routes));
  std::ranges::move(internal::AccountRoutes(city), std::back_inserter(routes));
  std::ranges::move(internal::StaffRoutes(city.platform()), std::back_inserter(routes));
  std::ranges::move(internal::OpsRoutes(city, clock), std::back_inserter(routes));
  std::ranges::move(internal::DemoRoutes(city.platform(), impl_->options.demo, clock),
                    std::back_inserter(routes));
  for (std::size_t i = 0; i < city.scenes().size(); ++i) {
    const auto kind = code::SceneFromName(city.scene_names()[i]);
    for (RouteSpec& route : city.scenes()[i]->Routes()) {
      if (kind.ok() && route.scenes.empty()) route.scenes = {*kind};
      routes.push_back(std::move(route));
    }
  }
  impl_->openapi = internal::OpenApiDocument(routes).dump(2);
}

Api::~Api() = default;

const std::string& Api::openapi() const { return impl_->openapi; }

void Api::RegisterRoutes(Router& router) {
  Impl* impl = impl_.get();
  constexpr bool kInline = true;  // never blocks: spared the handler pool
  router.Add(
      Method::kGet, "/healthz", "healthz",
      [](Request&) { return JsonResponse(200, R"({"status":"ok"})"); }, 0, kInline);
  router.Add(Method::kGet, "/readyz", "readyz", [impl](Request&) { return impl->Ready(); });
  router.Add(
      Method::kGet, "/metrics", "metrics",
      [impl](Request&) {
        SetMemoryGauges(impl->metrics);
        return Response{.status = 200,
                        .content_type = "text/plain; version=0.0.4",
                        .body = impl->metrics.Render()};
      },
      0, kInline);
  router.Add(
      Method::kGet, "/v1/openapi.json", "openapi",
      [impl](Request&) { return JsonResponse(200, impl->openapi); }, 0, kInline);
  for (const RouteSpec& route : impl->routes) {
    if (route.answer_later) {
      router.AddLater(
          route.method, route.pattern, route.name,
          [impl, &route](Request& request, api::Reply reply) {
            impl->RunLater(route, request, std::move(reply));
          },
          route.max_body_bytes);
      continue;
    }
    router.Add(
        route.method, route.pattern, route.name,
        [impl, &route](Request& request) { return impl->Run(route, request); },
        route.max_body_bytes);
  }
}

}  // namespace citycode::server
