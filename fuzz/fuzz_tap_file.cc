// libFuzzer target: a tap file (scenes/transit/tap_file.h), read in chunks
// as `citycode transit ingest` does. The reader must never crash; every tap
// it returns is within the id and code limits, and once it fails it stays
// failed; otherwise abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "scenes/transit/tap_file.h"

namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz_tap_file: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citycode::transit;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  TapFileReader reader(in);
  for (int chunk = 0; chunk < 1000; ++chunk) {
    auto taps = reader.Next(7);
    if (!taps.ok()) {
      Require(!reader.Next(7).ok(), "a failed reader read on");
      return 0;
    }
    if (taps->empty()) return 0;
    for (const ScannedTap& tap : *taps) {
      Require(tap.tap.sequence >= 0, "a negative sequence");
      Require(!tap.tap.terminal_id.empty() && tap.tap.terminal_id.size() <= kMaxTapIdBytes,
              "a terminal id out of its limits");
      Require(!tap.code.empty() && tap.code.size() <= kMaxScannedCodeBytes,
              "a code out of its limits");
    }
  }
  return 0;
}
