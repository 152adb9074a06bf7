// An e-certificate (电子证照) with the metadata of GB/T 36901–36905, signed by
// its issuer; its canonical encoding (what the issuer signs), validation
// against the type registry, and its JSON form.
//
// Canonical encoding (a contract: third parties verify signatures over it).
// RFC 8785 (JCS) of one JSON object whose members are, in this order (the
// order of their keys' bytes):
//
//   "fields"            object: face-field key -> string, keys sorted
//   "holder_id_number"  string
//   "holder_id_type"    string, "111" | "001"
//   "holder_name"       string
//   "identifier"        string
//   "issue_date"        string, YYYY-MM-DD
//   "issuer_code"       string
//   "issuer_name"       string
//   "name"              string
//   "status"            string, the status code "01" ...
//   "type_code"         string
//   "valid_from"        string, YYYY-MM-DD
//   "valid_until"       string, YYYY-MM-DD, or "" for long-term (长期)
//
// with no whitespace; strings are UTF-8 as is, except that '"' and '\' and
// the controls U+0000–U+001F are escaped, as \b \f \n \r \t where those
// exist and \u00xx (lower-case hex) otherwise; '/' and U+007F are not
// escaped. Face-field keys are sorted by their UTF-8 bytes, which is RFC
// 8785's UTF-16 order for every key a registered type has (they are ASCII).
//
// Everything here is a pure function of its arguments and thread-safe.
// Messages never contain field values: certificates hold personal data.
#ifndef CITYCODE_VAULT_CERTIFICATE_H_
#define CITYCODE_VAULT_CERTIFICATE_H_

#include <cstddef>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::vault {

// The certificate's state (GB/T 36903 codes).
enum class CertificateStatus {
  kValid,      // "01" 有效
  kSuspended,  // "02" 暂停
  kWithdrawn,  // "03" 撤回
  kCancelled,  // "04" 注销
  kExpired,    // "05" 过期
  kRevoked,    // "07" 吊销
};
// Named Certificate... rather than StatusCode...: a vault::StatusCode
// function would hide citycode::StatusCode in this namespace.
std::string_view CertificateStatusCode(CertificateStatus status);  // "01", ...; "" if unknown
std::string_view CertificateStatusName(CertificateStatus status);  // "valid", "suspended", ...
// From the code ("01" ...) only; invalid_argument otherwise.
Result<CertificateStatus> CertificateStatusFromCode(std::string_view code);

struct Certificate {
  std::string identifier;  // CertificateId text
  std::string type_code;   // 21 characters, a registered type's code
  std::string name;        // the type's name as printed
  std::string holder_name;
  std::string holder_id_type;  // "111" | "001"
  std::string holder_id_number;
  std::string issuer_name;
  std::string issuer_code;                    // 18-character credit code
  std::string issue_date;                     // YYYY-MM-DD
  std::string valid_from;                     // YYYY-MM-DD
  std::string valid_until;                    // YYYY-MM-DD, or "" for long-term
  std::map<std::string, std::string> fields;  // face fields, by FaceField::key
  CertificateStatus status = CertificateStatus::kValid;

  friend bool operator==(const Certificate&, const Certificate&) = default;
};

struct SignedCertificate {
  Certificate certificate;
  std::string key_id;  // lower-case hex of the issuer key's crypto::KeyId
  Bytes signature;     // raw, as crypto::PrivateKey::Sign makes it

  friend bool operator==(const SignedCertificate&, const SignedCertificate&) = default;
};

// The bytes the issuer signs (see the top of this file). Invalid UTF-8 is
// written as U+FFFD, so such a certificate cannot be signed or verified.
std::string CanonicalEncoding(const Certificate& certificate);

// Signs the canonical encoding. invalid_argument, naming the field, for a
// string that is not valid UTF-8 or an unknown status; resource exhaustion
// as crypto::PrivateKey::Sign. Does not call ValidateCertificate: the issuer
// decides what it signs.
Result<SignedCertificate> SignCertificate(const Certificate& certificate,
                                          const crypto::PrivateKey& issuer_key);

// True exactly when key_id is the hex kid of `issuer_key` and the signature
// over the canonical encoding verifies with it. False for a certificate with
// invalid UTF-8 or an unknown status.
bool VerifyCertificateSignature(const SignedCertificate& signed_certificate,
                                const crypto::PublicKey& issuer_key);

// Checks the certificate against the type registry and its own identifier:
//  - type_code is a registered type's code; identifier parses
//    (ParseCertificateId) and its type and issuer codes are type_code and
//    issuer_code; issuer_code has the credit-code shape;
//  - holder_id_type is the type's; holder_id_number is a valid resident ID
//    number (GB 11643, check character and birth date) for "111", a
//    credit-code shape for "001";
//  - issue_date, valid_from and valid_until (unless "") are real dates
//    YYYY-MM-DD, valid_from <= valid_until (issue_date may be later than
//    valid_from: a re-issue keeps the original validity);
//  - every required face field is present and non-empty, no face field is
//    unknown to the type, each within its max_length code points;
//  - holder_name 1–64 and name 1–64 code points, issuer_name 1–128; every
//    string valid UTF-8 without control characters (C0, DEL, C1), but a
//    face field marked multiline may hold line feeds;
//  - status is one of the enumerators.
// invalid_argument with a message naming the field (never its value)
// otherwise. Does not judge the identifier's check character: that is the
// caller's policy (see ParseCertificateId).
Status ValidateCertificate(const Certificate& certificate);

// Limits of the JSON form.
inline constexpr std::size_t kMaxCertificateJsonBytes = 16 * 1024;
inline constexpr std::size_t kMaxCertificateFields = 32;
// Enough for the longest face field (a visit summary, 2000 code points) in
// any script: 2000 x 4 bytes.
inline constexpr std::size_t kMaxCertificateStringBytes = 8000;

// The JSON form of the API and the JSONL bulk files: the canonical object
// plus "key_id" (hex) and "signature" (base64url without padding). Dumping
// it throws nlohmann::json::type_error for a string that is not valid UTF-8
// (a certificate SignCertificate refuses).
nlohmann::json CertificateToJson(const SignedCertificate& signed_certificate);

// Parses that form: a JSON object with exactly the keys above, each a
// string except "fields", an object of at most kMaxCertificateFields
// strings; every string (and face-field key) at most
// kMaxCertificateStringBytes bytes; "status" a status code; "key_id" 16
// lower-case hex digits; "signature" non-empty base64url. invalid_argument
// naming the key otherwise. Structure only: callers then call
// ValidateCertificate and VerifyCertificateSignature.
Result<SignedCertificate> CertificateFromJson(const nlohmann::json& json);

// The same from JSON text (one line of a JSONL file): invalid_argument for
// more than kMaxCertificateJsonBytes, text that is not JSON, or an object
// with a duplicated key (which different parsers would read differently).
Result<SignedCertificate> ParseCertificateJson(std::string_view text);

}  // namespace citycode::vault

#endif  // CITYCODE_VAULT_CERTIFICATE_H_
