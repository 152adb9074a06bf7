// The registry of certificate types the vault knows: each type's code (the
// first part of its identifiers), name, defining authority, the kind of ID
// its holders have, and the fields printed on its face.
//
// The registry is seeded at build time and immutable, so every function here
// is thread-safe.
#ifndef CITYCODE_VAULT_CERTIFICATE_TYPES_H_
#define CITYCODE_VAULT_CERTIFICATE_TYPES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace citycode::vault {

// The holder's ID document, as GB/T 36905 codes it.
enum class HolderIdType {
  kCitizenIdNumber,  // "111": 18-character resident ID number (GB 11643)
  kCreditCode,       // "001": unified social credit code (GB 32100)
};
std::string_view HolderIdTypeCode(HolderIdType type);  // "111", "001"
// invalid_argument for any other text.
Result<HolderIdType> HolderIdTypeFromCode(std::string_view code);

// One field printed on a certificate's face (照面信息).
struct FaceField {
  std::string key;    // [a-z_]; the key in Certificate::fields
  std::string label;  // as printed, e.g. "性别"
  bool required = true;
  std::size_t max_length = 64;  // in Unicode code points
  bool multiline = false;       // line feeds allowed (a visit's summary)
};

struct CertificateType {
  std::string code;  // 21 characters: ministry credit code + 3-digit type number
  std::string key;   // "resident_id_card"
  std::string name;  // as printed, e.g. "居民身份证"
  // "public_security", "civil_affairs", "market_regulation",
  // "human_resources_social_security", "healthcare_security",
  // "natural_resources", "education", "health".
  std::string authority_kind;
  HolderIdType holder_id_type = HolderIdType::kCitizenIdNumber;
  std::vector<FaceField> fields;
  // A health record (PIPL art. 28: sensitive): issued only by hospitals,
  // never fetched on a code's presentation, only under a grant of health
  // types alone.
  bool health = false;
};

// Every known type, in a fixed order. The codes are this city's registry,
// not the national catalogue.
const std::vector<CertificateType>& SeededCertificateTypes();

// The type with this code or key; nullptr if there is none. The pointer
// stays valid for the life of the program.
const CertificateType* FindCertificateType(std::string_view code_or_key);

}  // namespace citycode::vault

#endif  // CITYCODE_VAULT_CERTIFICATE_TYPES_H_
