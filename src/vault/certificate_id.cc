#include "vault/certificate_id.h"

#include <algorithm>
#include <vector>

namespace citycode::vault {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpperAlnum(char c) { return IsDigit(c) || (c >= 'A' && c <= 'Z'); }

bool AllUpperAlnum(std::string_view s) { return std::all_of(s.begin(), s.end(), IsUpperAlnum); }

int ValueOf(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 0;
}

bool IsValidTypeCode(std::string_view s) { return s.size() == kTypeCodeLength && AllUpperAlnum(s); }
bool IsValidSerial(std::string_view s) {
  return !s.empty() && s.size() <= kMaxSerialLength && AllUpperAlnum(s);
}
bool IsValidVersion(int version) { return version >= 1 && version <= 999; }

std::string VersionText(int version) {
  std::string text = std::to_string(version);
  if (text.size() < 3) text.insert(0, 3 - text.size(), '0');
  return text;
}

// The payload the check character covers.
std::string Payload(const CertificateId& id) {
  return id.type_code + id.issuer_code + id.serial + VersionText(id.version);
}

Status CheckParts(std::string_view type_code, std::string_view issuer_code,
                  std::string_view serial) {
  if (!IsValidTypeCode(type_code)) {
    return InvalidArgument("certificate identifier: type code must be 21 characters [0-9A-Z]");
  }
  if (!IsValidCreditCodeShape(issuer_code)) {
    return InvalidArgument("certificate identifier: issuer code must be 18 characters [0-9A-Z]");
  }
  if (!IsValidSerial(serial)) {
    return InvalidArgument("certificate identifier: serial must be 1-32 characters [0-9A-Z]");
  }
  return OkStatus();
}

}  // namespace

std::string CertificateId::ToString() const {
  std::string text(kCertificateIdPrefix);
  text += type_code;
  text += '.';
  text += issuer_code;
  text += '.';
  text += serial;
  text += '.';
  text += VersionText(version);
  text += '.';
  text += check;
  return text;
}

bool CertificateId::HasValidCheckCharacter() const {
  // The payload must be well formed first: MOD 37,36 over foreign characters
  // means nothing, and a version outside 1..999 has no 3-digit form.
  if (!CheckParts(type_code, issuer_code, serial).ok() || !IsValidVersion(version)) return false;
  return check == Mod3736CheckCharacter(Payload(*this));
}

char Mod3736CheckCharacter(std::string_view payload) {
  // ISO 7064 hybrid system with M = 36: the check character makes the final
  // remainder 1.
  int p = 36;
  for (char c : payload) {
    p = (p + ValueOf(c)) % 36;
    if (p == 0) p = 36;
    p = (2 * p) % 37;
  }
  return kAlphabet[(37 - p) % 36];
}

bool IsValidCreditCodeShape(std::string_view code) {
  return code.size() == kCreditCodeLength && AllUpperAlnum(code);
}

Result<CertificateId> MakeCertificateId(std::string_view type_code, std::string_view issuer_code,
                                        std::string_view serial, int version) {
  CITYCODE_RETURN_IF_ERROR(CheckParts(type_code, issuer_code, serial));
  if (!IsValidVersion(version)) {
    return InvalidArgument("certificate identifier: version must be 1-999");
  }
  CertificateId id{.type_code = std::string(type_code),
                   .issuer_code = std::string(issuer_code),
                   .serial = std::string(serial),
                   .version = version};
  id.check = Mod3736CheckCharacter(Payload(id));
  return id;
}

Result<CertificateId> ParseCertificateId(std::string_view text) {
  if (text.size() > kMaxCertificateIdLength) {
    return InvalidArgument("certificate identifier is longer than 128 characters");
  }
  if (!text.starts_with(kCertificateIdPrefix)) {
    return InvalidArgument("certificate identifier must start with 1.2.156.3005.2.");
  }
  text.remove_prefix(kCertificateIdPrefix.size());
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 5) {
    return InvalidArgument(
        "certificate identifier must have 5 parts after the prefix: type code, issuer code, "
        "serial, version, check character");
  }
  CITYCODE_RETURN_IF_ERROR(CheckParts(parts[0], parts[1], parts[2]));
  const std::string_view version = parts[3];
  if (version.size() != 3 || !std::all_of(version.begin(), version.end(), IsDigit) ||
      version == "000") {
    return InvalidArgument("certificate identifier: version must be 3 digits, 001-999");
  }
  if (parts[4].size() != 1 || !IsUpperAlnum(parts[4][0])) {
    return InvalidArgument("certificate identifier: check character must be one of [0-9A-Z]");
  }
  return CertificateId{
      .type_code = std::string(parts[0]),
      .issuer_code = std::string(parts[1]),
      .serial = std::string(parts[2]),
      .version = (version[0] - '0') * 100 + (version[1] - '0') * 10 + (version[2] - '0'),
      .check = parts[4][0]};
}

}  // namespace citycode::vault
