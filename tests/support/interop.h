// What the tests that run a tests/interop checker under node share: whether
// its npm packages are installed, and a trust list written where the checker
// reads it. CITYCODE_INTEROP_DIR is defined by citycode_interop_test.
#ifndef CITYCODE_TESTS_SUPPORT_INTEROP_H_
#define CITYCODE_TESTS_SUPPORT_INTEROP_H_

#include <chrono>
#include <filesystem>
#include <fstream>

#include "code/trust_list.h"
#include "crypto/key.h"

namespace citycode::testing {

// False until `npm ci` ran in tests/interop (the test skips then).
inline bool HaveInteropPackages() {
  return std::filesystem::exists(std::filesystem::path(CITYCODE_INTEROP_DIR) / "node_modules");
}

// A trust list holding `signer` from a day before `now` to `key_until`,
// signed by a fresh root of the signer's algorithm, written to `file`.
inline code::TrustList WriteTrustList(const std::filesystem::path& file,
                                      const crypto::PrivateKey& signer, Instant now,
                                      Instant key_until) {
  const auto root = *crypto::PrivateKey::Generate(signer.algorithm());
  code::TrustList trust{.version = 1,
                        .issuer = "citycode:jimo",
                        .issued_at = now - std::chrono::hours(1),
                        .expires_at = now + std::chrono::days(30),
                        .keys = {{signer.public_key(), now - std::chrono::days(1), key_until}}};
  std::ofstream(file) << *code::SignTrustList(trust, root);
  return trust;
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_INTEROP_H_
