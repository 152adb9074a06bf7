#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "common/bytes.h"

namespace citycode::crypto {

void FillRandom(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const std::size_t chunk = std::min<std::size_t>(out.size(), std::numeric_limits<int>::max());
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) {
      std::fputs("citycode: no entropy for random bytes\n", stderr);
      std::abort();
    }
    out = out.subspan(chunk);
  }
}

std::string RandomId(std::string_view prefix) {
  return std::string(prefix) + "_" + ToHex(RandomArray<16>());
}

std::string TimeOrderedId(std::string_view prefix, std::int64_t unix_millis) {
  std::array<std::uint8_t, 16> bytes = RandomArray<16>();
  for (int i = 0; i < 6; ++i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(unix_millis >> (40 - 8 * i));
  }
  return std::string(prefix) + "_" + ToHex(bytes);
}

std::string TimeOrderedId(std::string_view prefix,
                          std::chrono::sys_time<std::chrono::milliseconds> at) {
  return TimeOrderedId(prefix, at.time_since_epoch().count());
}

}  // namespace citycode::crypto
