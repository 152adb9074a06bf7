// libFuzzer target: an OpenID Connect ID token from outside (the city app
// posts it). The verifier must never crash, must refuse every input with an
// unauthenticated status carrying an id_token_* reason, and must accept none
// (the inputs are not signed by the configured provider's key), else abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "oidc/id_token.h"
#include "oidc/test_provider.h"

namespace {

const citycode::oidc::IdTokenVerifier& Verifier() {
  static const auto verifier = [] {
    auto provider = citycode::oidc::TestIdentityProvider::Create("https://id.fuzz.test");
    auto made = citycode::oidc::IdTokenVerifier::Create({.issuer = "https://id.fuzz.test",
                                                         .client_id = "citycode",
                                                         .jwks_json = (*provider)->JwksJson()});
    if (!made.ok()) std::abort();
    return std::move(*made);
  }();
  return *verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const auto claims =
      Verifier().Verify(token, "n-0S6_WzA2Mj", citycode::FromUnixSeconds(1'786'800'000));
  if (claims.ok()) {
    std::fprintf(stderr, "an unsigned input was accepted as an ID token\n");
    std::abort();
  }
  const auto& status = claims.status();
  if (status.code() != citycode::StatusCode::kUnauthenticated ||
      !status.reason().starts_with("id_token_")) {
    std::fprintf(stderr, "refused without an id_token reason: %s\n", status.ToString().c_str());
    std::abort();
  }
  return 0;
}
