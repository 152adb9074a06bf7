// What the tests that run a tests/interop checker under node share: whether
// its npm packages are installed, a trust list written where the checker
// reads it, and a checker run over many cases at once. CITYCODE_NODE and
// CITYCODE_INTEROP_DIR are defined by citycode_interop_test.
#ifndef CITYCODE_TESTS_SUPPORT_INTEROP_H_
#define CITYCODE_TESTS_SUPPORT_INTEROP_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "code/trust_list.h"
#include "crypto/key.h"
#include "tests/support/shell.h"

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

// Runs tests/interop/`script` under node with one argument, a file holding
// `cases` (a JSON array of objects with a "name"), and returns the JSON
// array it prints, by each entry's "name"; empty if it printed none.
inline std::map<std::string, nlohmann::json> RunInteropCases(std::string_view script,
                                                             const nlohmann::json& cases) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("citycode-interop-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << cases.dump();
  const ShellRun run = RunShell(std::string(CITYCODE_NODE) + " " + CITYCODE_INTEROP_DIR + "/" +
                                std::string(script) + " " + file.string());
  std::filesystem::remove(file);
  std::map<std::string, nlohmann::json> by_name;
  const nlohmann::json results = nlohmann::json::parse(run.output, nullptr, false);
  if (!results.is_array()) return by_name;
  for (const nlohmann::json& r : results) by_name[r["name"]] = r;
  return by_name;
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_INTEROP_H_
