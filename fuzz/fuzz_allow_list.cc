// libFuzzer target: the payload of an access site's allow-list or delta
// (code/allow_list.h). The input is signed here with the fixed root key, so
// the payload's parser is what runs (a forged signature stops before it, as
// fuzz_lists shows). Nothing may crash; what parses must be sorted and
// unique, and a delta applied to the fixed base list must keep it so.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "code/allow_list.h"
#include "common/bytes.h"
#include "crypto/algorithm.h"
#include "fuzz/fuzz_world.h"

namespace {

using namespace citycode;

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz_allow_list: %s\n", what);
    std::abort();
  }
}

bool SortedUnique(const std::vector<code::AllowEntry>& entries) {
  return std::adjacent_find(entries.begin(), entries.end(),
                            [](const auto& a, const auto& b) { return !(a < b); }) == entries.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const crypto::PrivateKey root = fuzz::FixedKey(crypto::Algorithm::kEd25519, 201);
  static const code::AllowList base = [] {
    code::AllowList list{.site = "site_fuzz",
                         .version = 3,
                         .issued_at = fuzz::kFuzzNow,
                         .expires_at = fuzz::kFuzzNow + std::chrono::hours(1)};
    for (std::uint8_t i = 0; i < 4; ++i) {
      list.entries.push_back({code::AllowHashFor(code::CredentialId{i}), fuzz::kFuzzNow,
                              fuzz::kFuzzNow + std::chrono::hours(1)});
    }
    std::sort(list.entries.begin(), list.entries.end());
    return list;
  }();
  const std::string header = Base64UrlEncode(AsBytes(std::string("{\"alg\":\"EdDSA\",\"kid\":\"") +
                                                     ToHex(root.public_key().key_id()) + "\"}"));
  const std::string signing_input = header + "." + Base64UrlEncode(ByteView(data, size));
  auto signature = root.Sign(AsBytes(signing_input));
  Require(signature.ok(), "the root key does not sign");
  const std::string jws = "{\"protected\":\"" + header + "\",\"payload\":\"" +
                          signing_input.substr(header.size() + 1) + "\",\"signature\":\"" +
                          Base64UrlEncode(*signature) + "\"}";
  if (auto list = code::VerifyAllowList(jws, root.public_key()); list.ok()) {
    Require(SortedUnique(list->entries), "a parsed list is not sorted and unique");
    Require(list->expires_at > list->issued_at, "a parsed list expires before it is issued");
  }
  if (auto delta = code::VerifyAllowListDelta(jws, root.public_key()); delta.ok()) {
    Require(delta->version > delta->base_version, "a delta's version is not above its base");
    if (auto applied = code::ApplyDelta(base, *delta); applied.ok()) {
      Require(SortedUnique(applied->entries), "an applied delta is not sorted and unique");
    }
  }
  return 0;
}
