// CV1 printed visitor pass: CWT claims (RFC 8392) in a COSE_Sign1 (RFC 9052)
// signed by a platform signing key, encoded deterministically (RFC 8949
// §4.2.1: keys in the order below, shortest integer forms, definite lengths).
//
//   text    = "CV1:" base45(pass)
//   pass    = #6.18(COSE_Sign1), protected header { 1 => alg, 4 => kid }
//   claims  = {
//     1 => tstr,                 ; iss, "citycode:jimo" (1..128 bytes)
//     4 => uint,                 ; exp, unix seconds: the window's end
//     5 => uint,                 ; nbf, unix seconds: the window's start (< exp)
//     6 => uint,                 ; iat, unix seconds
//     7 => bstr .size 16,        ; cti, the pass id (what a revocation names)
//     -65540 => tstr,            ; site: the access site id, 1..64 visible ASCII
//     -65541 => uint,            ; entries: passages it allows, 1..100
//   }
//
// Exactly these seven claims: no sub, cnf, scenes or channel (so a pass is
// never a credential, and the pass names nobody), and any other claim is
// refused rather than ignored, as for credentials. The private labels are in
// the pass's own claim space: -65540 means "holder" in a credential, but no
// claim set is ever read as the other (each refuses the other's labels).
#include "code/visitor_pass.h"

#include <algorithm>

#include "code/base45.h"
#include "code/internal/cbor.h"
#include "code/internal/cwt.h"

namespace citycode::code {
namespace {

using internal::CborHead;
using internal::CborPtr;
using internal::MakeInt;
using internal::MapPut;
using Kind = CborHead::Kind;

enum PassClaim : std::int64_t {
  kIss = internal::kCwtIss,
  kExp = internal::kCwtExp,
  kNbf = internal::kCwtNbf,
  kIat = internal::kCwtIat,
  kCti = internal::kCwtCti,
  kSite = -65540,
  kEntries = -65541,
};

// Bit of each claim in the "seen" mask; -1 for a label that is not a claim.
int ClaimBit(std::int64_t label) {
  switch (label) {
    case kIss: return 0;
    case kExp: return 1;
    case kNbf: return 2;
    case kIat: return 3;
    case kCti: return 4;
    case kSite: return 5;
    case kEntries: return 6;
    default: return -1;
  }
}
constexpr unsigned kAllClaims = 0b1111111;

bool IsSiteId(std::string_view site) {
  return !site.empty() && site.size() <= kMaxSiteIdBytes &&
         std::all_of(site.begin(), site.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

bool InTimeRange(Instant t) {
  const std::int64_t seconds = ToUnixSeconds(t);
  return seconds >= 0 && static_cast<std::uint64_t>(seconds) <= internal::kMaxCwtTime;
}

Status Malformed(const char* what) { return InvalidArgument(std::string("visitor pass ") + what); }

// Read straight from the bytes (CborReader), like a credential's claims.
Result<VisitorPassClaims> ParseClaims(ByteView payload) {
  internal::CborReader reader(payload);
  CborHead map;
  if (!reader.Next(map) || map.kind != Kind::kMap) return Malformed("claims are not a map");
  if (map.value != 7) return Malformed("does not have exactly its seven claims");
  VisitorPassClaims claims;
  const auto read = [&claims](std::int64_t label, const CborHead& value) -> Status {
    bool ok = true;
    switch (label) {
      case kIss:
        ok = internal::IsIssuer(value);
        if (ok) claims.issuer = std::string(AsChars(value.bytes));
        break;
      case kExp: ok = internal::ReadTime(value, claims.valid_until); break;
      case kNbf: ok = internal::ReadTime(value, claims.valid_from); break;
      case kIat: ok = internal::ReadTime(value, claims.issued_at); break;
      case kCti: ok = internal::ReadFixedBytes(value, claims.id); break;
      case kSite:
        ok = value.kind == Kind::kText && IsSiteId(AsChars(value.bytes));
        if (ok) claims.site = std::string(AsChars(value.bytes));
        break;
      case kEntries:
        ok = value.kind == Kind::kUint && value.value >= 1 && value.value <= kMaxVisitorPassEntries;
        if (ok) claims.entries = static_cast<std::uint32_t>(value.value);
        break;
    }
    return ok ? OkStatus() : Malformed("has a mistyped or out-of-range claim");
  };
  CITYCODE_ASSIGN_OR_RETURN(const unsigned seen,
                            internal::ReadClaims(reader, map.value, Malformed, ClaimBit, read));
  if (!reader.AtEnd()) return Malformed("claims have trailing bytes");
  if (seen != kAllClaims) return Malformed("lacks one of iss, exp, nbf, iat, cti, site, entries");
  if (claims.valid_until <= claims.valid_from)
    return Malformed("window does not end after it starts");
  return claims;
}

}  // namespace

Result<Bytes> IssueVisitorPass(const VisitorPassClaims& claims, const crypto::PrivateKey& signer) {
  if (claims.issuer.empty() || claims.issuer.size() > internal::kMaxIssuerLength) {
    return InvalidArgument("visitor pass issuer must be 1 to 128 bytes");
  }
  if (!IsSiteId(claims.site)) {
    return InvalidArgument("visitor pass site must be 1 to 64 visible ASCII characters");
  }
  if (claims.entries < 1 || claims.entries > kMaxVisitorPassEntries) {
    return InvalidArgument("visitor pass entries must be 1 to 100");
  }
  if (!InTimeRange(claims.issued_at) || !InTimeRange(claims.valid_from) ||
      !InTimeRange(claims.valid_until)) {
    return InvalidArgument("visitor pass times must be between 1970 and 9999");
  }
  if (claims.valid_until <= claims.valid_from) {
    return InvalidArgument("visitor pass window must end after it starts");
  }
  CborPtr map = internal::MakeMap(7);
  MapPut(*map, MakeInt(kIss), internal::MakeText(claims.issuer));
  MapPut(*map, MakeInt(kExp), MakeInt(ToUnixSeconds(claims.valid_until)));
  MapPut(*map, MakeInt(kNbf), MakeInt(ToUnixSeconds(claims.valid_from)));
  MapPut(*map, MakeInt(kIat), MakeInt(ToUnixSeconds(claims.issued_at)));
  MapPut(*map, MakeInt(kCti), internal::MakeBytes(claims.id));
  MapPut(*map, MakeInt(kSite), internal::MakeText(claims.site));
  MapPut(*map, MakeInt(kEntries), MakeInt(claims.entries));
  const crypto::KeyId kid = signer.public_key().key_id();
  return SignCoseSign1(signer, internal::Encode(*map), ByteView(kid));
}

std::string VisitorPassText(ByteView pass) {
  return std::string(kVisitorPassPrefix) + Base45Encode(pass);
}

Result<Bytes> VisitorPassBytes(std::string_view text) {
  if (!text.starts_with(kVisitorPassPrefix)) {
    return InvalidArgument("visitor pass text does not start with CV1:");
  }
  text.remove_prefix(kVisitorPassPrefix.size());
  // Base45 turns 2 bytes into 3 characters.
  constexpr std::size_t kMaxChars = (kMaxVisitorPassBytes + 1) / 2 * 3;
  if (text.size() > kMaxChars) return InvalidArgument("visitor pass text is too long");
  return Base45Decode(text, kMaxChars);
}

Result<VisitorPass> ParseVisitorPass(ByteView bytes) {
  if (bytes.size() > kMaxVisitorPassBytes) return Malformed("is too large");
  CITYCODE_ASSIGN_OR_RETURN(CoseSign1 envelope,
                            DecodeCoseSign1(bytes, {.max_message_bytes = kMaxVisitorPassBytes}));
  CITYCODE_ASSIGN_OR_RETURN(VisitorPassClaims claims, ParseClaims(envelope.payload));
  return VisitorPass{std::move(envelope), std::move(claims)};
}

}  // namespace citycode::code
