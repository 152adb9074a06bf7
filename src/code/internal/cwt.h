// Readers shared by the CWT claim sets of the code module (the CC1
// credential, the CV1 printed visitor pass): the claims map's walk, one
// definition of a time claim, a fixed-size id and the issuer's bounds.
#ifndef CITYCODE_CODE_INTERNAL_CWT_H_
#define CITYCODE_CODE_INTERNAL_CWT_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "code/internal/cbor.h"
#include "common/clock.h"
#include "common/status.h"

namespace citycode::code::internal {

// CWT claim labels (RFC 8392 §4).
enum CwtClaim : std::int64_t {
  kCwtIss = 1,
  kCwtSub = 2,
  kCwtExp = 4,
  kCwtNbf = 5,
  kCwtIat = 6,
  kCwtCti = 7,
  kCwtCnf = 8,  // RFC 8747
};

// Latest instant a time claim may name (year 9999): keeps every later
// computation far from overflow.
inline constexpr std::uint64_t kMaxCwtTime = 253402300799ULL;
// The longest iss accepted, in bytes.
inline constexpr std::size_t kMaxIssuerLength = 128;

// A bstr of exactly N bytes into `out`; false for anything else.
template <std::size_t N>
bool ReadFixedBytes(const CborHead& head, std::array<std::uint8_t, N>& out) {
  if (head.kind != CborHead::Kind::kBytes || head.bytes.size() != N) return false;
  std::copy(head.bytes.begin(), head.bytes.end(), out.begin());
  return true;
}

// A NumericDate (unsigned integer seconds, no fraction) up to kMaxCwtTime.
inline bool ReadTime(const CborHead& head, Instant& out) {
  if (head.kind != CborHead::Kind::kUint || head.value > kMaxCwtTime) return false;
  out = FromUnixSeconds(static_cast<std::int64_t>(head.value));
  return true;
}

// A non-empty iss of at most kMaxIssuerLength bytes.
inline bool IsIssuer(const CborHead& head) {
  return head.kind == CborHead::Kind::kText && !head.bytes.empty() &&
         head.bytes.size() <= kMaxIssuerLength;
}

// Reads the `count` entries of a CWT claims map from `reader`: every label
// known to `bit_of` (its bit in the set of claims, -1 for an unknown one)
// and seen once; `read(label, value)` takes one claim (it may read items
// nested in the value from `reader`) and returns its own error. The bits of
// the claims seen, or `malformed(what)`.
template <typename Malformed, typename BitOf, typename Read>
Result<unsigned> ReadClaims(CborReader& reader, std::uint64_t count, Malformed malformed,
                            BitOf bit_of, Read read) {
  unsigned seen = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    CborHead label_head, value;
    if (!reader.Next(label_head) || !reader.Next(value)) return malformed("claims are truncated");
    const auto label = AsInt(label_head);
    const int bit = label ? bit_of(*label) : -1;
    if (bit < 0) return malformed("has an unknown claim");
    if (seen & (1u << bit)) return malformed("has a duplicate claim");
    seen |= 1u << bit;
    CITYCODE_RETURN_IF_ERROR(read(*label, value));
  }
  return seen;
}

}  // namespace citycode::code::internal

#endif  // CITYCODE_CODE_INTERNAL_CWT_H_
