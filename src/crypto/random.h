// Cryptographically secure random bytes (OS entropy via OpenSSL's DRBG).
#ifndef CITYCODE_CRYPTO_RANDOM_H_
#define CITYCODE_CRYPTO_RANDOM_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace citycode::crypto {

// Fills `out`. Aborts if the system has no entropy: continuing would mint
// guessable ids.
void FillRandom(std::span<std::uint8_t> out);

template <std::size_t N>
std::array<std::uint8_t, N> RandomArray() {
  std::array<std::uint8_t, N> out;
  FillRandom(out);
  return out;
}

// "<prefix>_<32 hex digits>": an id of 128 random bits ("org_3f9c…").
std::string RandomId(std::string_view prefix);
// The same shape, but the first 12 hex digits are `unix_millis` and the
// other 20 (80 bits) random: ids made later sort later, so a table keyed
// by them grows at its end (one page written per batch of rows, not one
// random page per row). For records whose time is no secret from whoever
// sees the id.
std::string TimeOrderedId(std::string_view prefix, std::int64_t unix_millis);
// The same for a record made at `at`.
std::string TimeOrderedId(std::string_view prefix,
                          std::chrono::sys_time<std::chrono::milliseconds> at);

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_RANDOM_H_
