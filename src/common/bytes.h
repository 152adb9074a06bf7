// Byte strings and their text encodings (hex, base64, base64url).
#ifndef CITYCODE_COMMON_BYTES_H_
#define CITYCODE_COMMON_BYTES_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace citycode {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Lower-case hex.
std::string ToHex(ByteView bytes);
// Accepts upper or lower case; an odd length or a non-hex digit is an error.
Result<Bytes> FromHex(std::string_view hex);

// RFC 4648 §4 base64 with padding.
std::string Base64Encode(ByteView bytes);
Result<Bytes> Base64Decode(std::string_view text);
// RFC 4648 §5 base64url without padding, as JOSE uses it (RFC 7515 §2).
std::string Base64UrlEncode(ByteView bytes);
Result<Bytes> Base64UrlDecode(std::string_view text);

// Compares in time independent of where the inputs differ.
bool ConstantTimeEqual(ByteView a, ByteView b);

}  // namespace citycode

#endif  // CITYCODE_COMMON_BYTES_H_
