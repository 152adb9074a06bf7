// OpenID Connect ID tokens (OpenID Connect Core 1.0, §2 and §3.1.3.7) from
// an identity provider the operator configured: the way a provincial
// identity platform asserts a person after a face check. The JWS is
// verified with cjose (the JOSE library mod_auth_openidc uses) against the
// provider's JWKS; the claims are checked here: issuer, audience, expiry,
// issue time, nonce, and the name and ID-number claims that bind an account
// to a person.
//
// Thread-safe after Create.
#ifndef CITYCODE_OIDC_ID_TOKEN_H_
#define CITYCODE_OIDC_ID_TOKEN_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace citycode::oidc {

// Longer tokens are refused before they are parsed.
inline constexpr std::size_t kMaxIdTokenBytes = 16 * 1024;
// A JWKS document larger than this is refused.
inline constexpr std::size_t kMaxJwksBytes = 256 * 1024;

struct ProviderConfig {
  std::string issuer;     // the exact "iss" (https://id.example.gov.cn)
  std::string client_id;  // ours at the provider: "aud" must hold it
  std::string jwks_json;  // the provider's JWKS (RFC 7517 §5)
  // Signature algorithms taken; "none" and the HMAC ones never are.
  std::vector<std::string> algorithms = {"RS256", "PS256", "ES256"};
  // The claims that carry the verified person.
  std::string name_claim = "name";
  std::string id_number_claim = "id_number";
  // Allowed clock difference for exp and iat.
  std::chrono::seconds leeway{60};
  // Tokens issued longer ago than this are refused even if not expired.
  std::chrono::seconds max_age{std::chrono::minutes(10)};
};

struct IdTokenClaims {
  std::string subject;    // "sub": the person at the provider
  std::string name;       // the verified name
  std::string id_number;  // the verified resident ID number
  Instant issued_at{};
  Instant expires_at{};
};

class IdTokenVerifier {
 public:
  // invalid_argument for a provider without issuer or client id, an
  // algorithm outside {RS256, RS384, RS512, PS256, PS384, PS512, ES256,
  // ES384, ES512}, or a JWKS that is not a JSON object with a "keys" array
  // of keys cjose imports, each with a "kid".
  static Result<std::unique_ptr<IdTokenVerifier>> Create(ProviderConfig config);
  ~IdTokenVerifier();
  IdTokenVerifier(const IdTokenVerifier&) = delete;
  IdTokenVerifier& operator=(const IdTokenVerifier&) = delete;

  // The token's claims if every check holds; otherwise unauthenticated with
  // the reason of the first that failed: id_token_malformed,
  // id_token_algorithm (not on the allow-list, or not the key's kind),
  // id_token_key (no kid, or one not in the JWKS), id_token_signature,
  // id_token_issuer, id_token_audience, id_token_expired (or issued in the
  // future, or longer ago than max_age), id_token_nonce, id_token_claims (a
  // missing name, ID number or subject). Messages never hold a claim's
  // value.
  Result<IdTokenClaims> Verify(std::string_view token, std::string_view expected_nonce,
                               Instant now) const;

  const ProviderConfig& config() const;

 private:
  struct Impl;
  explicit IdTokenVerifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::oidc

#endif  // CITYCODE_OIDC_ID_TOKEN_H_
