// A differential check of the signed lists' JWS (issue 22, item 2): signed
// trust and revocation lists (EdDSA and ES256), each with variants that a
// parser may read differently — unprotected headers, padding, a
// non-canonical last base64url character, the general serialization,
// duplicate members, pretty printing, seeded random byte changes — through
// our check (code::VerifyTrustList, VerifyRevocationList) and through npm
// `jose`'s flattenedVerify (tests/interop/verify_jws.mjs). Whatever we
// accept, jose accepts with the same payload; whatever jose refuses, we
// refuse. (We may refuse more: we are the stricter reader.)
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "code/trust_list.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "tests/support/interop.h"

namespace citycode {
namespace {

using nlohmann::json;

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Case {
  std::string name;
  std::string jws;
  bool trust_list = true;  // else a revocation list
  const crypto::PrivateKey* root = nullptr;
};

// `jws` with its member `field` set to `value`.
std::string With(const std::string& jws, const std::string& field, const json& value) {
  json j = json::parse(jws);
  j[field] = value;
  return j.dump();
}

// The variants of one signed list.
void AddVariants(const Case& seed, std::vector<Case>& cases) {
  auto add = [&](const std::string& suffix, std::string jws) {
    cases.push_back({seed.name + "/" + suffix, std::move(jws), seed.trust_list, seed.root});
  };
  const json j = json::parse(seed.jws);
  add("as-signed", seed.jws);
  add("pretty", j.dump(2));
  add("unprotected-note", With(seed.jws, "header", {{"note", "added"}}));
  add("unprotected-kid", With(seed.jws, "header", {{"kid", "k"}}));
  add("unprotected-alg", With(seed.jws, "header", {{"alg", "none"}}));
  add("unprotected-crit", With(seed.jws, "header", {{"crit", {"b64"}}, {"b64", false}}));
  add("unprotected-text", With(seed.jws, "header", "x"));
  for (const char* field : {"protected", "payload", "signature"}) {
    const std::string value = j[field];
    add(std::string(field) + "-padded", With(seed.jws, field, value + "="));
    add(std::string(field) + "-dot", With(seed.jws, field, value + "."));
  }
  std::string signature = j["signature"];
  const std::size_t last = kBase64Url.find(signature.back());
  signature.back() = kBase64Url[last ^ 1];  // an unused low bit of the last character
  add("signature-noncanonical", With(seed.jws, "signature", signature));
  add("general",
      json{{"payload", j["payload"]},
           {"signatures", {{{"protected", j["protected"]}, {"signature", j["signature"]}}}}}
          .dump());
  add("payload-twice", "{\"payload\":\"e30\"," + seed.jws.substr(1));
  add("not-json", seed.jws.substr(0, seed.jws.size() / 2));
  std::mt19937 random(static_cast<unsigned>(cases.size()));
  for (int i = 0; i < 60; ++i) {
    std::string changed = seed.jws;
    changed[random() % changed.size()] = static_cast<char>(0x20 + random() % 95);
    add("random-" + std::to_string(i), changed);
  }
}

std::vector<Case> Cases(const std::vector<crypto::PrivateKey>& roots) {
  std::vector<Case> cases;
  const Instant issued = FromUnixSeconds(1'786'000'000);
  for (const crypto::PrivateKey& root : roots) {
    const std::string alg(crypto::JoseAlgorithm(root.algorithm()));
    code::TrustList trust{.version = 3,
                          .issuer = "citycode:diff",
                          .issued_at = issued,
                          .expires_at = issued + std::chrono::hours(24),
                          .keys = {{root.public_key(), issued, issued + std::chrono::hours(48)}}};
    code::RevocationList revoked{.version = 4,
                                 .issued_at = issued,
                                 .expires_at = issued + std::chrono::hours(24),
                                 .entries = {code::RevocationEntry{1, 2, 3}}};
    auto trust_jws = code::SignTrustList(trust, root);
    auto revoked_jws = code::SignRevocationList(revoked, root);
    EXPECT_TRUE(trust_jws.ok() && revoked_jws.ok());
    if (!trust_jws.ok() || !revoked_jws.ok()) continue;
    AddVariants({"trust-" + alg, *trust_jws, true, &root}, cases);
    AddVariants({"revoked-" + alg, *revoked_jws, false, &root}, cases);
  }
  return cases;
}

// verify_jws.mjs's answer for each case, by name.
std::map<std::string, json> JoseVerdicts(const std::vector<Case>& cases) {
  json input = json::array();
  for (const Case& c : cases) {
    input.push_back({{"name", c.name},
                     {"jws", c.jws},
                     {"key", c.root->public_key().ToPem()},
                     {"alg", crypto::JoseAlgorithm(c.root->algorithm())}});
  }
  return testing::RunInteropCases("verify_jws.mjs", input);
}

bool WeAccept(const Case& c) {
  const crypto::PublicKey root = c.root->public_key();
  return c.trust_list ? code::VerifyTrustList(c.jws, root).ok()
                      : code::VerifyRevocationList(c.jws, root).ok();
}

TEST(JwsDifferentialTest, WeAcceptOnlyWhatJoseAcceptsWithTheSamePayload) {
  std::vector<crypto::PrivateKey> roots;
  for (crypto::Algorithm alg : {crypto::Algorithm::kEd25519, crypto::Algorithm::kEs256}) {
    auto root = crypto::PrivateKey::Generate(alg);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    roots.push_back(*std::move(root));
  }
  const std::vector<Case> cases = Cases(roots);
  const std::map<std::string, json> jose = JoseVerdicts(cases);
  ASSERT_EQ(jose.size(), cases.size()) << "node did not answer for every case";
  int both = 0, only_jose = 0;
  for (const Case& c : cases) {
    const json& theirs = jose.at(c.name);
    const bool ours = WeAccept(c);
    if (c.name.ends_with("/as-signed")) {
      EXPECT_TRUE(ours) << c.name;
      EXPECT_TRUE(theirs["ok"].get<bool>()) << c.name;
    }
    if (!theirs["ok"].get<bool>()) {
      EXPECT_FALSE(ours) << c.name << ": jose refuses it";
      continue;
    }
    if (!ours) {
      ++only_jose;
      continue;
    }
    ++both;
    const json parsed = json::parse(c.jws);
    auto payload = Base64UrlDecode(parsed["payload"].get<std::string>());
    ASSERT_TRUE(payload.ok()) << c.name;
    EXPECT_EQ(theirs["payload"], ToHex(*payload)) << c.name;
  }
  EXPECT_GE(both, 8) << "the lists as signed and with an added unprotected name, at least";
  std::printf("%zu cases: %d accepted by both, %d by jose only\n", cases.size(), both, only_jose);
}

}  // namespace
}  // namespace citycode
