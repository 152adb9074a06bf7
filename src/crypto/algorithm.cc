#include "crypto/algorithm.h"

#include <array>
#include <string>

namespace citycode::crypto {
namespace {

// One row per algorithm: every name table below is read from here, so the
// mappings cannot drift apart.
struct Names {
  Algorithm alg;
  std::string_view cli;
  std::int64_t cose;
  std::string_view jose;
  std::string_view trust_list;
};

constexpr std::array<Names, 3> kNames = {{
    {Algorithm::kEd25519, "ed25519", -8, "EdDSA", "EdDSA"},
    {Algorithm::kEs256, "es256", -7, "ES256", "ES256"},
    // No COSE or JOSE registration exists for SM2; -65537 is in COSE's
    // private-use range and "SM2SM3" is the name DESIGN.md fixes.
    {Algorithm::kSm2, "sm2", -65537, "SM2SM3", "SM2"},
}};

// `name` for an error message: the names come from codes and lists anyone
// can write, so the echo is short and printable.
std::string Quoted(std::string_view name) {
  std::string out = "'";
  for (const char c : name.substr(0, 32)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (name.size() > 32) out += "...";
  return out + "'";
}

const Names& Row(Algorithm alg) {
  for (const Names& row : kNames) {
    if (row.alg == alg) return row;
  }
  return kNames[0];  // unreachable for a valid enumerator
}

template <typename Key, typename Field>
Result<Algorithm> Find(Key key, Field field, std::string_view what, std::string shown) {
  for (const Names& row : kNames) {
    if (row.*field == key) return row.alg;
  }
  return InvalidArgument("unsupported " + std::string(what) + " algorithm " + shown);
}

}  // namespace

std::string_view CliName(Algorithm alg) { return Row(alg).cli; }

Result<Algorithm> AlgorithmFromCliName(std::string_view name) {
  return Find(name, &Names::cli, "signature", Quoted(name) + " (expected ed25519, es256 or sm2)");
}

std::int64_t CoseAlgorithm(Algorithm alg) { return Row(alg).cose; }

Result<Algorithm> AlgorithmFromCose(std::int64_t alg) {
  return Find(alg, &Names::cose, "COSE", std::to_string(alg));
}

std::string_view JoseAlgorithm(Algorithm alg) { return Row(alg).jose; }

Result<Algorithm> AlgorithmFromJose(std::string_view alg) {
  return Find(alg, &Names::jose, "JWS", Quoted(alg));
}

std::string_view TrustListAlgorithm(Algorithm alg) { return Row(alg).trust_list; }

Result<Algorithm> AlgorithmFromTrustList(std::string_view alg) {
  return Find(alg, &Names::trust_list, "trust-list key", Quoted(alg));
}

}  // namespace citycode::crypto
