// The printed visitor pass (CV1): what a resident of a residential community
// issues for a visitor without the app. A CWT in a COSE_Sign1 signed by a
// platform signing key (the keys that sign credentials, so a gate checks it
// offline with the trust list it already holds), naming the access site, the
// window and how many entries it allows, and no person.
//
// A pass is its own format: it never parses as a credential or a
// presentation, nor they as a pass (see visitor_pass.cc for the grammar).
#ifndef CITYCODE_CODE_VISITOR_PASS_H_
#define CITYCODE_CODE_VISITOR_PASS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "code/cose.h"
#include "code/credential.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code {

inline constexpr std::string_view kVisitorPassPrefix = "CV1:";
// A site id is 1 to 64 visible ASCII characters (0x21 to 0x7E), as the
// platform's site ids are.
inline constexpr std::size_t kMaxSiteIdBytes = 64;
inline constexpr std::uint32_t kMaxVisitorPassEntries = 100;
// A pass is about 200 bytes (at most about 330 with the longest issuer and
// site); anything larger is not one.
inline constexpr std::size_t kMaxVisitorPassBytes = 512;

struct VisitorPassClaims {
  std::string issuer;         // CWT 1 iss, "citycode:jimo"
  CredentialId id{};          // CWT 7 cti: the pass id, 16 random bytes
  Instant issued_at{};        // CWT 6 iat
  Instant valid_from{};       // CWT 5 nbf
  Instant valid_until{};      // CWT 4 exp
  std::string site;           // private claim -65540: the access site id
  std::uint32_t entries = 1;  // private claim -65541: passages it allows (1..100)
};

// Encodes `claims` as CWT claims (deterministic CBOR) and signs them with
// `signer`, whose key id goes into the protected header, into a tagged
// COSE_Sign1. invalid_argument when a claim is out of range: issuer empty or
// longer than 128 bytes, site empty, longer than kMaxSiteIdBytes or not
// visible ASCII, entries not in 1..kMaxVisitorPassEntries, a time before
// 1970 or after 9999, or valid_until not after valid_from.
Result<Bytes> IssueVisitorPass(const VisitorPassClaims& claims, const crypto::PrivateKey& signer);

// "CV1:" + Base45(pass), the text of the printed QR.
std::string VisitorPassText(ByteView pass);
// The bytes behind a "CV1:" text. invalid_argument without the prefix, with
// bad Base45, or when longer than kMaxVisitorPassBytes can be.
Result<Bytes> VisitorPassBytes(std::string_view text);

// A pass as decoded; its signature is NOT checked here.
struct VisitorPass {
  CoseSign1 envelope;
  VisitorPassClaims claims;
};

// Strictly decodes a tagged COSE_Sign1 whose payload is exactly the pass's
// claim set. invalid_argument for anything else: larger than
// kMaxVisitorPassBytes, a credential or a presentation, an unknown,
// duplicate, missing, mistyped or out-of-range claim (the same ranges as
// IssueVisitorPass).
Result<VisitorPass> ParseVisitorPass(ByteView bytes);

}  // namespace citycode::code

#endif  // CITYCODE_CODE_VISITOR_PASS_H_
