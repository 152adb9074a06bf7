// Cryptographically secure random bytes (OS entropy via OpenSSL's DRBG).
#ifndef CITYCODE_CRYPTO_RANDOM_H_
#define CITYCODE_CRYPTO_RANDOM_H_

#include <array>
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

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_RANDOM_H_
