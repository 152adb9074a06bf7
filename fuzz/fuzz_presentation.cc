// libFuzzer target: the verifier a gate runs, on arbitrary input.
// - Verifier::Verify of the input as text ("CC1:" put in front when missing)
//   and VerifyBytes of the raw bytes, against a fixed trust list (fuzz_world.h)
//   at a fixed time, with a fresh verifier per input so runs reproduce;
// - FromQrText, ParsePresentation and ParseCredential of the raw bytes (and
//   ParseCredential of a parsed presentation's credential);
// - Verifier::VerifyVisitorPass of the input as text ("CV1:" put in front
//   when missing) and ParseVisitorPass of the raw bytes.
// Nothing may crash; a result marked valid must carry the claims of one of
// the seed credentials or passes (a valid result for anything else would
// mean a forged signature was accepted), else abort.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "code/credential.h"
#include "code/presentation.h"
#include "code/verifier.h"
#include "code/visitor_pass.h"
#include "fuzz/fuzz_world.h"

namespace {

using namespace citycode;

void CheckResult(const code::VerificationResult& result) {
  if (!result.valid) return;
  // Seed credentials have cti = {i, i, ...} and sub = {0xA0 + i, ...}.
  const std::uint8_t i = result.credential_id[0];
  for (std::size_t k = 0; k < result.credential_id.size(); ++k) {
    if (result.credential_id[k] != i || result.subject[k] != static_cast<std::uint8_t>(0xA0 + i)) {
      std::fprintf(stderr, "a code the fuzz world never issued was accepted\n");
      std::abort();
    }
  }
}

// Seed passes have cti = {0xC0 + i, ...}.
void CheckPass(const code::VisitorPassResult& result) {
  if (!result.valid) return;
  const std::uint8_t first = result.claims.id[0];
  const bool seed = first > 0xC0 && std::size_t{first} <= 0xC0 + std::size(fuzz::kAlgorithms) &&
                    std::all_of(result.claims.id.begin(), result.claims.id.end(),
                                [first](std::uint8_t b) { return b == first; });
  if (!seed) {
    std::fprintf(stderr, "a pass the fuzz world never issued was accepted\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ManualClock clock(fuzz::kFuzzNow);
  const fuzz::World& world = fuzz::TheWorld();
  const code::Verifier verifier(clock, world.trust, world.revocation,
                                {.replay_cache_capacity = 16, .credential_cache_capacity = 16});

  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const ByteView bytes(data, size);
  std::string text = raw.starts_with(code::kQrPrefix)
                         ? std::string(raw)
                         : std::string(code::kQrPrefix) + std::string(raw);
  const code::VerificationResult first = verifier.Verify(text, std::nullopt);
  CheckResult(first);
  // CITYCODE_FUZZ_VERBOSE=1: say what the verifier made of an input
  // (to check the seeds, or to read a crash input).
  static const bool verbose = std::getenv("CITYCODE_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "verify: %s\n", std::string(code::ReasonName(first.reason)).c_str());
  // The same code again is a replay now (or refused as before).
  const code::VerificationResult second = verifier.Verify(text, code::Scene::kTransit);
  if (first.valid && second.valid) {
    std::fprintf(stderr, "the same code was accepted twice\n");
    std::abort();
  }
  CheckResult(second);
  CheckResult(verifier.VerifyBytes(bytes, code::Scene::kHotel));

  (void)code::FromQrText(raw);
  if (auto presentation = code::ParsePresentation(bytes); presentation.ok()) {
    (void)code::ParseCredential(presentation->fields.credential);
  }
  (void)code::ParseCredential(bytes);

  const std::string pass_text = raw.starts_with(code::kVisitorPassPrefix)
                                    ? std::string(raw)
                                    : std::string(code::kVisitorPassPrefix) + std::string(raw);
  const code::VisitorPassResult pass = verifier.VerifyVisitorPass(pass_text);
  if (verbose) {
    std::fprintf(stderr, "verify pass: %s\n", std::string(code::ReasonName(pass.reason)).c_str());
  }
  CheckPass(pass);
  (void)code::ParseVisitorPass(bytes);
  return 0;
}
