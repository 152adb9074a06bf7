// libFuzzer target: the signed trust and revocation lists a gate downloads
// (JWS, flattened JSON serialization). VerifyTrustList and
// VerifyRevocationList must never crash, and accept nothing: no input is
// signed by the fixed root key here, else abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "code/trust_list.h"
#include "fuzz/fuzz_world.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citycode;
  static const crypto::PrivateKey root = fuzz::FixedKey(crypto::Algorithm::kEd25519, 200);
  const std::string_view jws(reinterpret_cast<const char*>(data), size);
  if (code::VerifyTrustList(jws, root.public_key()).ok() ||
      code::VerifyRevocationList(jws, root.public_key()).ok()) {
    std::fprintf(stderr, "fuzz_lists: a list not signed by the root was accepted\n");
    std::abort();
  }
  return 0;
}
