// A stand-in identity provider that signs ID tokens with its own key: the
// demo city's (its citizens are verified through it) and the tests'. A real
// deployment configures the provincial identity platform instead and never
// runs this.
#ifndef CITYCODE_OIDC_TEST_PROVIDER_H_
#define CITYCODE_OIDC_TEST_PROVIDER_H_

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace citycode::oidc {

struct TestIdToken {
  std::string audience;  // the relying party's client id
  std::string nonce;
  std::string subject;
  std::string name;
  std::string id_number;
  Instant issued_at{};
  std::chrono::seconds lifetime{std::chrono::minutes(5)};
};

class TestIdentityProvider {
 public:
  // A fresh key: "ES256" (P-256) or "RS256" (2048-bit RSA).
  static Result<std::unique_ptr<TestIdentityProvider>> Create(std::string issuer,
                                                              std::string_view algorithm = "ES256");
  // The key PrivateJwk() returned, to keep one provider across runs (the
  // demo keeps it in its directory, mode 0600).
  static Result<std::unique_ptr<TestIdentityProvider>> FromPrivateJwk(std::string issuer,
                                                                      std::string_view algorithm,
                                                                      std::string_view jwk_json);
  ~TestIdentityProvider();

  const std::string& issuer() const { return issuer_; }
  const std::string& kid() const { return kid_; }
  const std::string& algorithm() const { return algorithm_; }
  // The public JWKS a relying party configures.
  std::string JwksJson() const;
  std::string PrivateJwk() const;

  // A signed ID token with the standard claims and the person's.
  Result<std::string> IdToken(const TestIdToken& token) const;
  // Signs any header and payload (tests of refused tokens); the header gets
  // this provider's "alg" and "kid" unless it sets its own.
  Result<std::string> Sign(nlohmann::json header, const nlohmann::json& payload) const;

 private:
  struct Key;
  TestIdentityProvider(std::string issuer, std::string algorithm, std::unique_ptr<Key> key);
  std::string issuer_, algorithm_, kid_;
  std::unique_ptr<Key> key_;
};

}  // namespace citycode::oidc

#endif  // CITYCODE_OIDC_TEST_PROVIDER_H_
