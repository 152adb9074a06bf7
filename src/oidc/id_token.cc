#include "oidc/id_token.h"

#include <cjose/cjose.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/bytes.h"

namespace citycode::oidc {
namespace {

using nlohmann::json;

struct JwkRelease {
  void operator()(cjose_jwk_t* jwk) const { cjose_jwk_release(jwk); }
};
struct JwsRelease {
  void operator()(cjose_jws_t* jws) const { cjose_jws_release(jws); }
};
using JwkPtr = std::unique_ptr<cjose_jwk_t, JwkRelease>;
using JwsPtr = std::unique_ptr<cjose_jws_t, JwsRelease>;

// The algorithms an ID token may use at all; a provider takes a subset.
// Each needs its kind of key: RSA, or EC on the named curve.
struct AlgorithmKey {
  std::string_view algorithm, kty, crv;
};
constexpr AlgorithmKey kAlgorithms[] = {
    {"RS256", "RSA", ""},     {"RS384", "RSA", ""},     {"RS512", "RSA", ""},
    {"PS256", "RSA", ""},     {"PS384", "RSA", ""},     {"PS512", "RSA", ""},
    {"ES256", "EC", "P-256"}, {"ES384", "EC", "P-384"}, {"ES512", "EC", "P-521"},
};

const AlgorithmKey* FindAlgorithm(std::string_view name) {
  for (const AlgorithmKey& a : kAlgorithms) {
    if (a.algorithm == name) return &a;
  }
  return nullptr;
}

Status Refused(std::string_view reason, std::string message) {
  return Unauthenticated(std::move(message), std::string(reason));
}

// A key of the JWKS: cjose's key, and what its JSON says it is.
struct Key {
  JwkPtr jwk;
  std::string kty, crv;
};

Result<json> DecodeJsonPart(std::string_view part) {
  CITYCODE_ASSIGN_OR_RETURN(Bytes bytes, Base64UrlDecode(part));
  json value = json::parse(AsChars(bytes), nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return InvalidArgument("not a JSON object");
  return value;
}

// A NumericDate claim (RFC 7519 §2): seconds since the epoch, possibly
// fractional; nullopt when absent or outside 0..2^40 (no cast overflows).
std::optional<Instant> NumericDate(const json& object, std::string_view name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  const double seconds = it->get<double>();
  if (!(seconds >= 0 && seconds < 1099511627776.0)) return std::nullopt;
  return FromUnixSeconds(static_cast<std::int64_t>(seconds));
}

std::string StringOr(const json& object, std::string_view name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

struct IdTokenVerifier::Impl {
  ProviderConfig config;
  std::map<std::string, Key, std::less<>> keys;  // by kid

  Status AddKeys(const json& jwks);
  Result<const Key*> KeyFor(const json& header) const;
  Status CheckSignature(std::string_view token, const Key& key) const;
  Status CheckIssuerAndAudience(const json& claims) const;
  Status CheckTimes(const json& claims, Instant now) const;
};

Status IdTokenVerifier::Impl::AddKeys(const json& jwks) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return InvalidArgument("the JWKS must be a JSON object with a \"keys\" array");
  }
  for (const json& entry : jwks["keys"]) {
    const std::string kid = entry.is_object() ? StringOr(entry, "kid") : std::string();
    if (kid.empty()) return InvalidArgument("every key of the JWKS needs a \"kid\"");
    const std::string text = entry.dump();
    cjose_err err;
    JwkPtr jwk(cjose_jwk_import(text.data(), text.size(), &err));
    if (!jwk) return InvalidArgument("JWKS key " + kid + ": " + err.message);
    keys.insert_or_assign(kid, Key{std::move(jwk), StringOr(entry, "kty"), StringOr(entry, "crv")});
  }
  if (keys.empty()) return InvalidArgument("the JWKS has no keys");
  return OkStatus();
}

Result<const Key*> IdTokenVerifier::Impl::KeyFor(const json& header) const {
  const std::string alg = StringOr(header, "alg");
  const bool allowed =
      std::find(config.algorithms.begin(), config.algorithms.end(), alg) != config.algorithms.end();
  const AlgorithmKey* known = FindAlgorithm(alg);
  if (!allowed || known == nullptr) {
    return Refused("id_token_algorithm", "the ID token's algorithm is not accepted");
  }
  const auto key = keys.find(StringOr(header, "kid"));
  if (key == keys.end()) return Refused("id_token_key", "the ID token names no known key");
  if (key->second.kty != known->kty || key->second.crv != known->crv) {
    return Refused("id_token_algorithm", "the ID token's algorithm does not fit its key");
  }
  return &key->second;
}

Status IdTokenVerifier::Impl::CheckSignature(std::string_view token, const Key& key) const {
  cjose_err err;
  JwsPtr jws(cjose_jws_import(token.data(), token.size(), &err));
  if (!jws) return Refused("id_token_malformed", "the ID token is not a JWS");
  if (!cjose_jws_verify(jws.get(), key.jwk.get(), &err)) {
    return Refused("id_token_signature", "the ID token's signature does not verify");
  }
  return OkStatus();
}

Status IdTokenVerifier::Impl::CheckIssuerAndAudience(const json& claims) const {
  if (StringOr(claims, "iss") != config.issuer) {
    return Refused("id_token_issuer", "the ID token is from another issuer");
  }
  const json& aud = claims.contains("aud") ? claims["aud"] : json();
  bool ours = aud.is_string() && aud == config.client_id;
  if (aud.is_array()) {
    ours = std::find(aud.begin(), aud.end(), config.client_id) != aud.end() &&
           (aud.size() == 1 || StringOr(claims, "azp") == config.client_id);
  }
  if (!ours) return Refused("id_token_audience", "the ID token is for another client");
  return OkStatus();
}

Status IdTokenVerifier::Impl::CheckTimes(const json& claims, Instant now) const {
  const std::optional<Instant> exp = NumericDate(claims, "exp");
  const std::optional<Instant> iat = NumericDate(claims, "iat");
  if (!exp || !iat) return Refused("id_token_claims", "the ID token lacks exp or iat");
  if (now > *exp + config.leeway || *iat > now + config.leeway ||
      now - *iat > config.max_age + config.leeway) {
    return Refused("id_token_expired", "the ID token has expired or is not yet valid");
  }
  return OkStatus();
}

IdTokenVerifier::IdTokenVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IdTokenVerifier::~IdTokenVerifier() = default;

const ProviderConfig& IdTokenVerifier::config() const { return impl_->config; }

Result<std::unique_ptr<IdTokenVerifier>> IdTokenVerifier::Create(ProviderConfig config) {
  if (config.issuer.empty() || config.client_id.empty()) {
    return InvalidArgument("an identity provider needs an issuer and a client id");
  }
  for (const std::string& alg : config.algorithms) {
    if (FindAlgorithm(alg) == nullptr) {
      return InvalidArgument("identity provider algorithm " + alg + " is not supported");
    }
  }
  if (config.jwks_json.size() > kMaxJwksBytes) return InvalidArgument("the JWKS is too large");
  const json jwks = json::parse(config.jwks_json, nullptr, /*allow_exceptions=*/false);
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  CITYCODE_RETURN_IF_ERROR(impl->AddKeys(jwks));
  return std::unique_ptr<IdTokenVerifier>(new IdTokenVerifier(std::move(impl)));
}

Result<IdTokenClaims> IdTokenVerifier::Verify(std::string_view token,
                                              std::string_view expected_nonce, Instant now) const {
  const Status malformed = Refused("id_token_malformed", "the ID token is not a signed JWT");
  if (token.size() > kMaxIdTokenBytes || std::count(token.begin(), token.end(), '.') != 2) {
    return malformed;
  }
  const std::size_t dot = token.find('.'), last = token.rfind('.');
  auto header = DecodeJsonPart(token.substr(0, dot));
  auto claims = DecodeJsonPart(token.substr(dot + 1, last - dot - 1));
  if (!header.ok() || !claims.ok()) return malformed;
  CITYCODE_ASSIGN_OR_RETURN(const Key* key, impl_->KeyFor(*header));
  CITYCODE_RETURN_IF_ERROR(impl_->CheckSignature(token, *key));
  CITYCODE_RETURN_IF_ERROR(impl_->CheckIssuerAndAudience(*claims));
  CITYCODE_RETURN_IF_ERROR(impl_->CheckTimes(*claims, now));
  const std::string nonce = StringOr(*claims, "nonce");
  if (expected_nonce.empty() || !ConstantTimeEqual(AsBytes(nonce), AsBytes(expected_nonce))) {
    return Refused("id_token_nonce", "the ID token was not made for this request");
  }
  IdTokenClaims out{.subject = StringOr(*claims, "sub"),
                    .name = StringOr(*claims, impl_->config.name_claim),
                    .id_number = StringOr(*claims, impl_->config.id_number_claim),
                    .issued_at = *NumericDate(*claims, "iat"),
                    .expires_at = *NumericDate(*claims, "exp")};
  if (out.subject.empty() || out.name.empty() || out.id_number.empty()) {
    return Refused("id_token_claims", "the ID token does not name the person");
  }
  return out;
}

}  // namespace citycode::oidc
