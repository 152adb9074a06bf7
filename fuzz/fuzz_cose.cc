// libFuzzer target: strict CBOR and COSE_Sign1 decoding of arbitrary bytes.
// - internal::DecodeStrict; when it accepts, Encode(item) must decode again
//   and re-encode to the same bytes (else abort);
// - DecodeCoseSign1 with require_tag false and true (what the strict one
//   accepts, the loose one must read the same; else abort); on what decodes,
//   VerifyCoseSign1 with the fixed keys of every algorithm and the payload
//   parsers of both CC1 levels must return without crashing.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "code/cose.h"
#include "code/credential.h"
#include "code/internal/cbor.h"
#include "code/presentation.h"
#include "fuzz/fuzz_world.h"

namespace {

using namespace citycode;

void CheckCbor(ByteView input) {
  auto item = code::internal::DecodeStrict(input);
  if (!item.ok()) return;
  const Bytes encoded = code::internal::Encode(**item);
  code::internal::CborLimits limits;
  limits.max_bytes = std::max(limits.max_bytes, encoded.size());
  auto again = code::internal::DecodeStrict(encoded, limits);
  if (!again.ok()) {
    std::fprintf(stderr, "Encode of a strictly decoded item does not decode: %s\n",
                 again.status().ToString().c_str());
    std::abort();
  }
  if (code::internal::Encode(**again) != encoded) {
    std::fprintf(stderr, "Encode(DecodeStrict(Encode(x))) != Encode(x)\n");
    std::abort();
  }
}

void CheckCose(ByteView input) {
  auto loose = code::DecodeCoseSign1(input, {.require_tag = false});
  auto strict = code::DecodeCoseSign1(input, {.require_tag = true});
  if (strict.ok()) {
    // Requiring the tag may only refuse more, never read differently.
    if (!strict->tagged || !loose.ok() || loose->payload != strict->payload ||
        loose->signature != strict->signature || loose->kid != strict->kid ||
        loose->protected_bytes != strict->protected_bytes || loose->alg != strict->alg) {
      std::fprintf(stderr, "DecodeCoseSign1 with require_tag disagrees with require_tag=false\n");
      std::abort();
    }
  }
  if (!loose.ok()) return;
  const code::CoseSign1& message = *loose;
  // No fixed key signed fuzzer input, so every check must fail; what matters
  // is that each returns. (The seeds are signed by these keys, but any change
  // the fuzzer makes breaks the signature.)
  const fuzz::World& world = fuzz::TheWorld();
  for (const auto* keys : {&world.signers, &world.devices}) {
    for (const crypto::PrivateKey& key : *keys)
      (void)code::VerifyCoseSign1(message, key.public_key());
  }
  (void)code::VerifyCoseSign1(message, world.signers.front().public_key(), message.kid);
  (void)code::ParsePresentationFields(message.payload);
  (void)code::ParseCredentialClaims(message.payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  CheckCbor(input);
  CheckCose(input);
  return 0;
}
