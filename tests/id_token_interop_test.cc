// Our ID-token verifier (src/oidc) against a third-party one: npm `jose`'s
// jwtVerify on the same JWKS (tests/interop/verify_id_tokens.mjs). Both must
// accept the valid tokens and refuse each broken one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "oidc/id_token.h"
#include "oidc/test_provider.h"
#include "tests/support/status_matchers.h"

namespace citycode::oidc {
namespace {

using ::citycode::testing::IsOk;
using nlohmann::json;

constexpr char kIssuer[] = "https://id.example.test";
constexpr char kClient[] = "citycode-jimo";
constexpr char kNonce[] = "n-0S6_WzA2Mj";
constexpr std::int64_t kNow = 1'786'800'000;

struct Case {
  std::string name, token;
  bool valid = false;
};

std::string Part(const json& j) { return Base64UrlEncode(AsBytes(j.dump())); }

// The valid token and one token per way to break it.
std::vector<Case> Cases(const TestIdentityProvider& provider,
                        const TestIdentityProvider& stranger) {
  json claims = {{"iss", kIssuer},    {"aud", kClient},
                 {"sub", "person-7"}, {"nonce", kNonce},
                 {"iat", kNow},       {"exp", kNow + 300},
                 {"name", "张明"},    {"id_number", "370282198506201236"}};
  const auto sign = [&](const json& header, const json& payload) {
    auto token = provider.Sign(header, payload);
    return token.ok() ? *token : std::string();
  };
  const auto with = [&](const char* name, json value) {
    json changed = claims;
    changed[name] = std::move(value);
    return sign(json::object(), changed);
  };
  const std::string good = sign(json::object(), claims);
  const std::size_t dot = good.find('.'), last = good.rfind('.');
  json azp = claims;
  azp["aud"] = json::array({kClient, "other"});
  azp["azp"] = kClient;
  json swapped = claims;
  swapped["id_number"] = "110101199003070011";
  return {
      {"valid", good, true},
      {"valid with azp", sign(json::object(), azp), true},
      {"alg none",
       Part({{"alg", "none"}, {"kid", provider.kid()}}) + good.substr(dot, last - dot) + "."},
      {"wrong audience", with("aud", "another-client")},
      {"wrong issuer", with("iss", "https://evil.example")},
      {"wrong nonce", with("nonce", "replayed")},
      {"unknown kid", sign({{"kid", "unknown-key"}}, claims)},
      {"expired", with("exp", kNow - 1000)},
      {"issued in the future", with("iat", kNow + 500)},
      {"bad signature", *stranger.Sign({{"kid", provider.kid()}}, claims)},
      {"payload swapped", good.substr(0, dot) + "." + Part(swapped) + good.substr(last)},
      {"hs256 confusion", Part({{"alg", "HS256"}, {"kid", provider.kid()}}) +
                              good.substr(dot, last - dot) + "." +
                              Base64UrlEncode(AsBytes("forged"))},
  };
}

// jose's verdicts, by case name.
std::map<std::string, bool> JoseVerdicts(const TestIdentityProvider& provider,
                                         const std::vector<Case>& cases) {
  json input = {{"issuer", kIssuer},
                {"audience", kClient},
                {"algorithms", json::array({provider.algorithm()})},
                {"jwks", json::parse(provider.JwksJson())},
                {"cases", json::array()}};
  for (const Case& c : cases) {
    input["cases"].push_back(
        {{"name", c.name}, {"token", c.token}, {"nonce", kNonce}, {"now", kNow}});
  }
  const auto file = std::filesystem::path(::testing::TempDir()) / "id_token_cases.json";
  std::ofstream(file) << input.dump();
  const std::string command = std::string(CITYCODE_NODE) + " " + CITYCODE_INTEROP_DIR +
                              "/verify_id_tokens.mjs " + file.string();
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buffer;
  while (pipe && fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
  std::map<std::string, bool> verdicts;
  const json results = json::parse(out, nullptr, false);
  if (!results.is_array()) return verdicts;
  for (const json& r : results) verdicts[r["name"]] = r["accepted"];
  return verdicts;
}

class IdTokenInteropTest : public ::testing::TestWithParam<const char*> {};

TEST_P(IdTokenInteropTest, JoseAndCitycodeAgreeOnEveryToken) {
  auto provider = TestIdentityProvider::Create(kIssuer, GetParam());
  auto stranger = TestIdentityProvider::Create(kIssuer, GetParam());
  ASSERT_THAT(provider.status(), IsOk());
  ASSERT_THAT(stranger.status(), IsOk());
  auto verifier = IdTokenVerifier::Create({.issuer = kIssuer,
                                           .client_id = kClient,
                                           .jwks_json = (*provider)->JwksJson(),
                                           .algorithms = {GetParam()}});
  ASSERT_THAT(verifier.status(), IsOk());
  const std::vector<Case> cases = Cases(**provider, **stranger);
  const std::map<std::string, bool> jose = JoseVerdicts(**provider, cases);
  ASSERT_EQ(jose.size(), cases.size()) << "node did not answer for every case";
  for (const Case& c : cases) {
    const bool ours = (*verifier)->Verify(c.token, kNonce, FromUnixSeconds(kNow)).ok();
    EXPECT_EQ(ours, c.valid) << c.name;
    EXPECT_EQ(jose.at(c.name), c.valid) << c.name << " (jose)";
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, IdTokenInteropTest, ::testing::Values("ES256", "RS256"));

}  // namespace
}  // namespace citycode::oidc
