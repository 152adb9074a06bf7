// The fixed keys, lists and clock the fuzz targets and the seed generator
// share, so that the seed codes in fuzz/corpus/ verify in the targets and the
// fuzzer starts from the deepest paths. Everything is deterministic (fixed
// seeds and scalars, a ManualClock) so a crash input reproduces.
#ifndef CITYCODE_FUZZ_FUZZ_WORLD_H_
#define CITYCODE_FUZZ_FUZZ_WORLD_H_

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "code/credential.h"
#include "code/trust_list.h"
#include "code/visitor_pass.h"
#include "common/clock.h"
#include "crypto/key.h"

namespace citycode::fuzz {

inline const Instant kFuzzNow = FromUnixSeconds(1'790'000'000);  // 2026-09-21
inline constexpr crypto::Algorithm kAlgorithms[] = {
    crypto::Algorithm::kEd25519, crypto::Algorithm::kEs256, crypto::Algorithm::kSm2};

template <typename T>
T Must(Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "fuzz setup: %s: %s\n", what, result.status().ToString().c_str());
    std::abort();
  }
  return *std::move(result);
}

// A private key derived from `tag`: an Ed25519 seed or an EC scalar of 32
// bytes tag, tag+1, ... (below both curves' orders).
inline crypto::PrivateKey FixedKey(crypto::Algorithm alg, std::uint8_t tag) {
  Bytes secret(32);
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(tag + i);
  if (alg == crypto::Algorithm::kEd25519) {
    return Must(crypto::PrivateKey::FromEd25519Seed(secret), "FromEd25519Seed");
  }
  return Must(crypto::PrivateKey::FromEcScalar(alg, secret), "FromEcScalar");
}

// One issuer signing key and one device key per algorithm, the trust list
// naming the signing keys, an empty revocation list.
struct World {
  World() {
    std::uint8_t tag = 1;
    for (crypto::Algorithm alg : kAlgorithms) {
      signers.push_back(FixedKey(alg, tag++));
      devices.push_back(FixedKey(alg, tag++));
    }
    trust = code::TrustList{.version = 1,
                            .issuer = "citycode:jimo",
                            .issued_at = kFuzzNow - std::chrono::hours(1),
                            .expires_at = kFuzzNow + std::chrono::days(7),
                            .keys = {}};
    for (const auto& signer : signers) {
      trust.keys.push_back({signer.public_key(), kFuzzNow - std::chrono::days(1),
                            kFuzzNow + std::chrono::days(365)});
    }
    revocation = code::RevocationList{.version = 1,
                                      .issued_at = kFuzzNow - std::chrono::hours(1),
                                      .expires_at = kFuzzNow + std::chrono::days(1),
                                      .entries = {}};
  }

  // Claims of a credential for device `i` (nullopt device: a printed card).
  code::CredentialClaims Claims(std::uint8_t id, const crypto::PrivateKey* device) const {
    code::CredentialClaims claims{.issuer = "citycode:jimo",
                                  .issued_at = kFuzzNow - std::chrono::hours(2),
                                  .expires_at = kFuzzNow + std::chrono::hours(22),
                                  .scenes = {code::Scene::kTransit, code::Scene::kHotel},
                                  .channel = code::Channel::kApp,
                                  .rider_category = code::RiderCategory::kStudent};
    claims.subject.fill(static_cast<std::uint8_t>(0xA0 + id));
    claims.id.fill(id);
    if (device != nullptr) {
      claims.device_key = device->public_key();
    } else {
      claims.channel = code::Channel::kCard;
      claims.rider_category.reset();
    }
    return claims;
  }

  // Claims of a printed visitor pass: cti = {0xC0 + id, ...}, valid now.
  static code::VisitorPassClaims PassClaims(std::uint8_t id) {
    code::VisitorPassClaims claims{.issuer = "citycode:jimo",
                                   .issued_at = kFuzzNow - std::chrono::hours(1),
                                   .valid_from = kFuzzNow - std::chrono::hours(1),
                                   .valid_until = kFuzzNow + std::chrono::hours(5),
                                   .site = "site_fuzz",
                                   .entries = 2};
    claims.id.fill(static_cast<std::uint8_t>(0xC0 + id));
    return claims;
  }

  std::vector<crypto::PrivateKey> signers;
  std::vector<crypto::PrivateKey> devices;
  code::TrustList trust;
  code::RevocationList revocation;
};

inline const World& TheWorld() {
  static const World* world = new World();
  return *world;
}

}  // namespace citycode::fuzz

#endif  // CITYCODE_FUZZ_FUZZ_WORLD_H_
