// E-certificate identifiers in the form of GB/T 36904 (电子证照标识):
//
//   1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>
//
//   type code    21 x [0-9A-Z]: the defining ministry's unified social credit
//                code (18) and a 3-digit type number
//   issuer code  18 x [0-9A-Z]: the issuing authority's unified social credit
//                code
//   serial       1..32 x [0-9A-Z], assigned by the issuer
//   version      3 digits, 001..999
//   check        one [0-9A-Z]: ISO 7064 MOD 37,36 over type code, issuer
//                code, serial and version concatenated without dots
//
// These are values; every function is pure and thread-safe.
#ifndef CITYCODE_VAULT_CERTIFICATE_ID_H_
#define CITYCODE_VAULT_CERTIFICATE_ID_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace citycode::vault {

// The OID arc of e-certificates, with the dot that follows it.
inline constexpr std::string_view kCertificateIdPrefix = "1.2.156.3005.2.";
// Longer identifiers are refused before they are looked at.
inline constexpr std::size_t kMaxCertificateIdLength = 128;
inline constexpr std::size_t kTypeCodeLength = 21;
inline constexpr std::size_t kCreditCodeLength = 18;
inline constexpr std::size_t kMaxSerialLength = 32;

struct CertificateId {
  std::string type_code;
  std::string issuer_code;
  std::string serial;
  int version = 1;  // 1..999, written as 3 digits
  char check = '0';

  // The dotted text; the parts are written as they are, so this is a valid
  // identifier only if the parts are.
  std::string ToString() const;
  // True exactly when every part is well formed and `check` is the MOD 37,36
  // check character of the payload.
  bool HasValidCheckCharacter() const;

  friend bool operator==(const CertificateId&, const CertificateId&) = default;
};

// ISO 7064 MOD 37,36 (hybrid system) check character of `payload`.
// REQUIRES: every character is in [0-9A-Z] (others are treated as value 0).
char Mod3736CheckCharacter(std::string_view payload);

// [0-9A-Z]{18}: the shape of a unified social credit code (GB 32100). Its
// own check character is not judged: demo and test issuers use made-up codes.
bool IsValidCreditCodeShape(std::string_view code);

// An identifier with the right check character. invalid_argument, naming the
// part, if a part does not match the grammar above.
Result<CertificateId> MakeCertificateId(std::string_view type_code, std::string_view issuer_code,
                                        std::string_view serial, int version);

// Parses the grammar above (prefix, part count, lengths and alphabets, at
// most kMaxCertificateIdLength bytes); invalid_argument with a message naming
// the bad part otherwise. The check character is parsed but not judged: a
// vault refuses a wrong one from its own issuers but may accept an external
// one with a warning, so callers ask HasValidCheckCharacter().
Result<CertificateId> ParseCertificateId(std::string_view text);

}  // namespace citycode::vault

#endif  // CITYCODE_VAULT_CERTIFICATE_ID_H_
