// Base45 (RFC 9285 §4):
//
//   encoded = *triplet [pair]
//   triplet = 3alnum   ; c d e, value c + 45 d + 45² e (≤ 65535), two bytes a b with
//                      ; 256 a + b = value
//   pair    = 2alnum   ; c d, value c + 45 d (≤ 255), the last odd byte
//   alnum   = one of "0-9A-Z $%*+-./:" (the QR alphanumeric set), by position 0…44
#include "code/base45.h"

#include <array>
#include <cstdint>

namespace citycode::code {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> MakeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}
constexpr std::array<std::uint8_t, 256> kDecodeTable = MakeDecodeTable();

}  // namespace

std::string Base45Encode(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() / 2 * 3 + 2);
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    unsigned value = bytes[i] * 256u + bytes[i + 1];
    out.push_back(kAlphabet[value % 45]);
    value /= 45;
    out.push_back(kAlphabet[value % 45]);
    out.push_back(kAlphabet[value / 45]);
  }
  if (i < bytes.size()) {
    out.push_back(kAlphabet[bytes[i] % 45]);
    out.push_back(kAlphabet[bytes[i] / 45]);
  }
  return out;
}

Result<Bytes> Base45Decode(std::string_view text, std::size_t max_chars) {
  if (text.size() > max_chars) return InvalidArgument("base45 text is too long");
  if (text.size() % 3 == 1) return InvalidArgument("base45 text has an impossible length");
  Bytes out;
  out.reserve(text.size() / 3 * 2 + 1);
  std::size_t i = 0;
  for (; i < text.size(); i += 3) {
    const std::size_t n = text.size() - i < 3 ? 2 : 3;
    unsigned value = 0;
    unsigned weight = 1;
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint8_t digit = kDecodeTable[static_cast<unsigned char>(text[i + k])];
      if (digit == kInvalid) {
        return InvalidArgument("base45 text has a character outside its alphabet");
      }
      value += digit * weight;
      weight *= 45;
    }
    if (n == 3) {
      if (value > 0xFFFF) return InvalidArgument("base45 triplet is above 65535");
      out.push_back(static_cast<std::uint8_t>(value >> 8));
      out.push_back(static_cast<std::uint8_t>(value & 0xFF));
    } else {
      if (value > 0xFF) return InvalidArgument("base45 final pair is above 255");
      out.push_back(static_cast<std::uint8_t>(value));
    }
  }
  return out;
}

}  // namespace citycode::code
