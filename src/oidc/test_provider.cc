#include "oidc/test_provider.h"

#include <cjose/cjose.h>

#include <utility>

#include "common/bytes.h"
#include "crypto/random.h"

namespace citycode::oidc {
namespace {

using nlohmann::json;

struct HeaderRelease {
  void operator()(cjose_header_t* header) const { cjose_header_release(header); }
};
struct JwsRelease {
  void operator()(cjose_jws_t* jws) const { cjose_jws_release(jws); }
};

Status CjoseError(std::string_view what, const cjose_err& err) {
  return Internal(std::string(what) + ": " + err.message);
}

// The JWK as JSON, with or without its private part.
std::string JwkJson(const cjose_jwk_t* jwk, bool with_private) {
  cjose_err err;
  char* text = cjose_jwk_to_json(jwk, with_private, &err);
  if (text == nullptr) return {};
  std::string out(text);
  cjose_get_dealloc()(text);
  return out;
}

}  // namespace

struct TestIdentityProvider::Key {
  cjose_jwk_t* jwk = nullptr;
  ~Key() { cjose_jwk_release(jwk); }
};

TestIdentityProvider::TestIdentityProvider(std::string issuer, std::string algorithm,
                                           std::unique_ptr<Key> key)
    : issuer_(std::move(issuer)), algorithm_(std::move(algorithm)), key_(std::move(key)) {
  cjose_err err;
  const char* kid = cjose_jwk_get_kid(key_->jwk, &err);
  kid_ = kid == nullptr ? std::string() : std::string(kid);
}

TestIdentityProvider::~TestIdentityProvider() = default;

Result<std::unique_ptr<TestIdentityProvider>> TestIdentityProvider::Create(
    std::string issuer, std::string_view algorithm) {
  auto key = std::make_unique<Key>();
  cjose_err err;
  if (algorithm == "ES256") {
    key->jwk = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
  } else if (algorithm == "RS256") {
    static const std::uint8_t kExponent[] = {0x01, 0x00, 0x01};
    key->jwk = cjose_jwk_create_RSA_random(2048, kExponent, sizeof kExponent, &err);
  } else {
    return InvalidArgument("a test identity provider signs with ES256 or RS256");
  }
  if (key->jwk == nullptr) return CjoseError("cannot make the provider's key", err);
  const std::string kid = "test-" + ToHex(crypto::RandomArray<8>());
  if (!cjose_jwk_set_kid(key->jwk, kid.data(), kid.size(), &err)) {
    return CjoseError("cannot name the provider's key", err);
  }
  return std::unique_ptr<TestIdentityProvider>(
      new TestIdentityProvider(std::move(issuer), std::string(algorithm), std::move(key)));
}

Result<std::unique_ptr<TestIdentityProvider>> TestIdentityProvider::FromPrivateJwk(
    std::string issuer, std::string_view algorithm, std::string_view jwk_json) {
  auto key = std::make_unique<Key>();
  cjose_err err;
  key->jwk = cjose_jwk_import(jwk_json.data(), jwk_json.size(), &err);
  if (key->jwk == nullptr) return InvalidArgument("not a private JWK");
  return std::unique_ptr<TestIdentityProvider>(
      new TestIdentityProvider(std::move(issuer), std::string(algorithm), std::move(key)));
}

std::string TestIdentityProvider::JwksJson() const {
  json key = json::parse(JwkJson(key_->jwk, false), nullptr, false);
  key["use"] = "sig";
  key["alg"] = algorithm_;
  return json{{"keys", json::array({key})}}.dump();
}

std::string TestIdentityProvider::PrivateJwk() const { return JwkJson(key_->jwk, true); }

Result<std::string> TestIdentityProvider::Sign(json header, const json& payload) const {
  if (!header.is_object()) return InvalidArgument("a JWS header is a JSON object");
  if (!header.contains("alg")) header["alg"] = algorithm_;
  if (!header.contains("kid")) header["kid"] = kid_;
  if (!header.contains("typ")) header["typ"] = "JWT";
  cjose_err err;
  std::unique_ptr<cjose_header_t, HeaderRelease> protected_header(cjose_header_new(&err));
  if (!protected_header) return CjoseError("cannot make a JWS header", err);
  for (const auto& [name, value] : header.items()) {
    if (!value.is_string()) return InvalidArgument("header values must be strings");
    const std::string text = value.get<std::string>();
    if (!cjose_header_set(protected_header.get(), name.c_str(), text.c_str(), &err)) {
      return CjoseError("cannot set a JWS header", err);
    }
  }
  const std::string body = payload.dump();
  std::unique_ptr<cjose_jws_t, JwsRelease> jws(
      cjose_jws_sign(key_->jwk, protected_header.get(),
                     reinterpret_cast<const std::uint8_t*>(body.data()), body.size(), &err));
  if (!jws) return CjoseError("cannot sign", err);
  const char* compact = nullptr;
  if (!cjose_jws_export(jws.get(), &compact, &err)) return CjoseError("cannot serialise", err);
  return std::string(compact);
}

Result<std::string> TestIdentityProvider::IdToken(const TestIdToken& token) const {
  const std::int64_t iat = ToUnixSeconds(token.issued_at);
  return Sign(json::object(), {{"iss", issuer_},
                               {"aud", token.audience},
                               {"sub", token.subject},
                               {"nonce", token.nonce},
                               {"iat", iat},
                               {"exp", iat + token.lifetime.count()},
                               {"name", token.name},
                               {"id_number", token.id_number}});
}

}  // namespace citycode::oidc
