// The /v1 JSON API on top of the HTTP core: authentication (bearer API keys
// and citizen sessions), authorisation by role and organisation, a rate
// limit per key, strict request bodies, and the OpenAPI document, which is
// generated from the same route table that validates requests, so the two
// cannot drift apart.
#ifndef CITYCODE_SERVER_API_H_
#define CITYCODE_SERVER_API_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "city/city.h"
#include "common/clock.h"
#include "oidc/test_provider.h"
#include "server/http.h"
#include "server/rate_limiter.h"

namespace citycode::server {

// What only the demo server offers (`citycode demo`; docs/API.md, "The
// demo server"). Both empty elsewhere.
struct DemoOptions {
  // Signs an ID token for whoever a visitor says they are, playing the
  // provincial identity platform.
  std::shared_ptr<const oidc::TestIdentityProvider> identity_provider;
  // The server's clock, which the admin may move forward (browser tests).
  ManualClock* clock = nullptr;
};

struct ApiOptions {
  // Requests a second per API key or session (and per client address for
  // the unauthenticated routes), with bursts up to `burst_per_key`.
  double rate_per_key = 1000;
  double burst_per_key = 2000;
  // Unknown or wrong bearer tokens a client address may send freely; past
  // that it waits (1 s, doubling up to 5 min) and its tokens are refused
  // without a database read. 0: never.
  int bad_tokens_per_address = 20;
  DemoOptions demo;
};

class Api {
 public:
  // Serves the platform's and the vault's routes and those of every scene
  // the city opened. `city`, `clock` and `metrics` must outlive the Api.
  Api(city::City& city, const Clock& clock, Metrics& metrics, ApiOptions options = {});
  ~Api();

  // Adds /healthz, /readyz, /metrics, /v1/openapi.json and every /v1 route.
  void RegisterRoutes(Router& router);

  // The OpenAPI 3.0 document (JSON text) of the registered routes.
  const std::string& openapi() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::server

#endif  // CITYCODE_SERVER_API_H_
