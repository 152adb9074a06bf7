#include "vault/certificate.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "platform/platform.h"
#include "vault/certificate_id.h"
#include "vault/certificate_types.h"

namespace citycode::vault {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxNameCodePoints = 64;
constexpr std::size_t kMaxIssuerNameCodePoints = 128;
constexpr std::size_t kKeyIdHexLength = 2 * std::tuple_size_v<crypto::KeyId>;

// The string members of Certificate with their JSON keys, in one table so
// the canonical object, the JSON parser and the UTF-8 checks cannot drift
// apart.
struct StringMember {
  const char* key;
  std::string Certificate::*member;
};
constexpr std::array<StringMember, 11> kStringMembers = {{
    {"identifier", &Certificate::identifier},
    {"type_code", &Certificate::type_code},
    {"name", &Certificate::name},
    {"holder_name", &Certificate::holder_name},
    {"holder_id_type", &Certificate::holder_id_type},
    {"holder_id_number", &Certificate::holder_id_number},
    {"issuer_name", &Certificate::issuer_name},
    {"issuer_code", &Certificate::issuer_code},
    {"issue_date", &Certificate::issue_date},
    {"valid_from", &Certificate::valid_from},
    {"valid_until", &Certificate::valid_until},
}};
constexpr std::string_view kFieldsKey = "fields";
constexpr std::string_view kStatusKey = "status";
constexpr std::string_view kKeyIdKey = "key_id";
constexpr std::string_view kSignatureKey = "signature";

// The code points of `s` if it is well-formed UTF-8 (RFC 3629: shortest
// form, no surrogates, at most U+10FFFF), else nullopt.
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(s[at]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (lead < 0x80) {
      length = 1, cp = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2, cp = lead & 0x1f, min = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, cp = lead & 0x0f, min = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, cp = lead & 0x07, min = 0x10000;
    } else {
      return std::nullopt;
    }
    if (s.size() - i < length) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    out.push_back(cp);
    i += length;
  }
  return out;
}

bool IsValidUtf8(std::string_view s) { return DecodeUtf8(s).has_value(); }

bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

// Valid UTF-8, no control characters (but line feeds where `multiline`),
// min..max code points.
Status CheckText(std::string_view field, std::string_view value, std::size_t min, std::size_t max,
                 bool multiline = false) {
  const auto cps = DecodeUtf8(value);
  if (!cps) return InvalidArgument(std::string(field) + " is not valid UTF-8");
  if (std::any_of(cps->begin(), cps->end(),
                  [&](char32_t cp) { return IsControl(cp) && !(multiline && cp == U'\n'); })) {
    return InvalidArgument(std::string(field) + " contains a control character");
  }
  if (cps->size() < min || cps->size() > max) {
    return InvalidArgument(std::string(field) + " must be " + std::to_string(min) + "-" +
                           std::to_string(max) + " characters");
  }
  return OkStatus();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// YYYY-MM-DD naming a day of the proleptic Gregorian calendar.
bool IsCalendarDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(s[i])) return false;
  }
  const auto number = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const std::chrono::year_month_day day{std::chrono::year(number(0, 4)),
                                        std::chrono::month(static_cast<unsigned>(number(5, 2))),
                                        std::chrono::day(static_cast<unsigned>(number(8, 2)))};
  return day.ok();
}

// Face-field keys are ours ([a-z_]); anything else is not echoed in a message.
bool IsPrintableKey(std::string_view key) {
  return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_';
  });
}

// Which string of the certificate is not valid UTF-8, if any.
std::optional<std::string> FirstInvalidUtf8(const Certificate& c) {
  for (const StringMember& m : kStringMembers) {
    if (!IsValidUtf8(c.*m.member)) return std::string(m.key);
  }
  for (const auto& [key, value] : c.fields) {
    if (!IsValidUtf8(key)) return std::string("a key of fields");
    if (!IsValidUtf8(value)) {
      return IsPrintableKey(key) ? "fields." + key : std::string("a value of fields");
    }
  }
  return std::nullopt;
}

json CanonicalObject(const Certificate& c) {
  json object = json::object();
  for (const StringMember& m : kStringMembers) object[m.key] = c.*m.member;
  json fields = json::object();
  for (const auto& [key, value] : c.fields) fields[key] = value;
  object[kFieldsKey] = std::move(fields);
  object[kStatusKey] = CertificateStatusCode(c.status);
  return object;
}

Status CheckFaceFields(const Certificate& c, const CertificateType& type) {
  for (const FaceField& field : type.fields) {
    const auto it = c.fields.find(field.key);
    if (it == c.fields.end() || it->second.empty()) {
      if (field.required) return InvalidArgument("fields." + field.key + " is required");
      if (it == c.fields.end()) continue;
    }
    CITYCODE_RETURN_IF_ERROR(
        CheckText("fields." + field.key, it->second, 0, field.max_length, field.multiline));
  }
  // Keys named, not bound: clang 14 (the fuzz build) cannot capture a
  // structured binding.
  for (const auto& field : c.fields) {
    const std::string& key = field.first;
    const bool known = std::any_of(type.fields.begin(), type.fields.end(),
                                   [&](const FaceField& f) { return f.key == key; });
    if (!known) {
      return InvalidArgument(IsPrintableKey(key)
                                 ? "fields." + key + " is not a field of " + type.key
                                 : "fields has a key that is not a field of " + type.key);
    }
  }
  return OkStatus();
}

Status CheckHolderId(const Certificate& c, const CertificateType& type) {
  CITYCODE_ASSIGN_OR_RETURN(const HolderIdType id_type, HolderIdTypeFromCode(c.holder_id_type));
  if (id_type != type.holder_id_type) {
    return InvalidArgument("holder_id_type must be " +
                           std::string(HolderIdTypeCode(type.holder_id_type)) + " for " + type.key);
  }
  switch (id_type) {
    case HolderIdType::kCitizenIdNumber:
      if (!platform::IsValidResidentIdNumber(c.holder_id_number)) {
        return InvalidArgument("holder_id_number is not a valid 18-character resident ID number");
      }
      break;
    case HolderIdType::kCreditCode:
      if (!IsValidCreditCodeShape(c.holder_id_number)) {
        return InvalidArgument("holder_id_number must be 18 characters [0-9A-Z]");
      }
      break;
  }
  return OkStatus();
}

Status CheckDates(const Certificate& c) {
  if (!IsCalendarDate(c.issue_date)) return InvalidArgument("issue_date must be a date YYYY-MM-DD");
  if (!IsCalendarDate(c.valid_from)) return InvalidArgument("valid_from must be a date YYYY-MM-DD");
  if (!c.valid_until.empty()) {
    if (!IsCalendarDate(c.valid_until)) {
      return InvalidArgument("valid_until must be a date YYYY-MM-DD or empty");
    }
    // Same fixed-width form, so the text order is the date order.
    if (c.valid_until < c.valid_from) {
      return InvalidArgument("valid_until must not be before valid_from");
    }
  }
  return OkStatus();
}

// A string member of a JSON object, at most kMaxCertificateStringBytes.
Result<std::string> GetString(const json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end())
    return InvalidArgument("certificate JSON lacks \"" + std::string(key) + "\"");
  if (!it->is_string()) {
    return InvalidArgument("certificate JSON \"" + std::string(key) + "\" must be a string");
  }
  const auto& value = it->get_ref<const std::string&>();
  if (value.size() > kMaxCertificateStringBytes) {
    return InvalidArgument("certificate JSON \"" + std::string(key) + "\" is longer than " +
                           std::to_string(kMaxCertificateStringBytes) + " bytes");
  }
  return value;
}

Result<std::map<std::string, std::string>> GetFields(const json& object) {
  const auto it = object.find(kFieldsKey);
  if (it == object.end()) return InvalidArgument("certificate JSON lacks \"fields\"");
  if (!it->is_object()) return InvalidArgument("certificate JSON \"fields\" must be an object");
  if (it->size() > kMaxCertificateFields) {
    return InvalidArgument("certificate JSON \"fields\" has more than " +
                           std::to_string(kMaxCertificateFields) + " entries");
  }
  std::map<std::string, std::string> fields;
  for (const auto& [key, value] : it->items()) {
    if (key.size() > kMaxCertificateStringBytes) {
      return InvalidArgument("certificate JSON \"fields\" has a key longer than " +
                             std::to_string(kMaxCertificateStringBytes) + " bytes");
    }
    const std::string name = IsPrintableKey(key) ? "fields." + key : std::string("fields");
    if (!value.is_string()) {
      return InvalidArgument("certificate JSON \"" + name + "\" must be a string");
    }
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > kMaxCertificateStringBytes) {
      return InvalidArgument("certificate JSON \"" + name + "\" is longer than " +
                             std::to_string(kMaxCertificateStringBytes) + " bytes");
    }
    fields.emplace(key, text);
  }
  return fields;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string_view CertificateStatusCode(CertificateStatus status) {
  switch (status) {
    case CertificateStatus::kValid: return "01";
    case CertificateStatus::kSuspended: return "02";
    case CertificateStatus::kWithdrawn: return "03";
    case CertificateStatus::kCancelled: return "04";
    case CertificateStatus::kExpired: return "05";
    case CertificateStatus::kRevoked: return "07";
  }
  return "";
}

std::string_view CertificateStatusName(CertificateStatus status) {
  switch (status) {
    case CertificateStatus::kValid: return "valid";
    case CertificateStatus::kSuspended: return "suspended";
    case CertificateStatus::kWithdrawn: return "withdrawn";
    case CertificateStatus::kCancelled: return "cancelled";
    case CertificateStatus::kExpired: return "expired";
    case CertificateStatus::kRevoked: return "revoked";
  }
  return "unknown";
}

Result<CertificateStatus> CertificateStatusFromCode(std::string_view code) {
  for (CertificateStatus s :
       {CertificateStatus::kValid, CertificateStatus::kSuspended, CertificateStatus::kWithdrawn,
        CertificateStatus::kCancelled, CertificateStatus::kExpired, CertificateStatus::kRevoked}) {
    if (CertificateStatusCode(s) == code) return s;
  }
  return InvalidArgument("status must be one of the codes 01, 02, 03, 04, 05, 07");
}

std::string CanonicalEncoding(const Certificate& certificate) {
  // nlohmann's objects are std::maps (sorted keys) and its compact dump
  // escapes exactly as RFC 8785 does; `replace` keeps it from throwing on
  // invalid UTF-8, which Sign and Verify refuse before getting here.
  return CanonicalObject(certificate)
      .dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

Result<SignedCertificate> SignCertificate(const Certificate& certificate,
                                          const crypto::PrivateKey& issuer_key) {
  if (const auto field = FirstInvalidUtf8(certificate)) {
    return InvalidArgument(*field + " is not valid UTF-8");
  }
  if (CertificateStatusCode(certificate.status).empty()) {
    return InvalidArgument("status is not a known certificate status");
  }
  const std::string message = CanonicalEncoding(certificate);
  CITYCODE_ASSIGN_OR_RETURN(Bytes signature, issuer_key.Sign(AsBytes(message)));
  return SignedCertificate{.certificate = certificate,
                           .key_id = ToHex(issuer_key.public_key().key_id()),
                           .signature = std::move(signature)};
}

bool VerifyCertificateSignature(const SignedCertificate& signed_certificate,
                                const crypto::PublicKey& issuer_key) {
  const Certificate& c = signed_certificate.certificate;
  // Lossy encodings (U+FFFD for bad bytes, "" for a bad status) could make
  // two certificates share a signature; neither was ever signed.
  if (signed_certificate.key_id != ToHex(issuer_key.key_id()) || FirstInvalidUtf8(c) ||
      CertificateStatusCode(c.status).empty()) {
    return false;
  }
  return issuer_key.Verify(AsBytes(CanonicalEncoding(c)), signed_certificate.signature);
}

Status ValidateCertificate(const Certificate& c) {
  // Text first: later messages may name the type, never a value.
  for (const StringMember& m : kStringMembers) {
    CITYCODE_RETURN_IF_ERROR(CheckText(m.key, c.*m.member, 0, kMaxCertificateStringBytes));
  }
  const CertificateType* type = FindCertificateType(c.type_code);
  if (type == nullptr || type->code != c.type_code) {
    return InvalidArgument("type_code is not a registered certificate type");
  }
  const Result<CertificateId> id = ParseCertificateId(c.identifier);
  if (!id.ok()) return InvalidArgument("identifier is malformed: " + id.status().message());
  if (!IsValidCreditCodeShape(c.issuer_code)) {
    return InvalidArgument("issuer_code must be 18 characters [0-9A-Z]");
  }
  if (id->type_code != c.type_code) {
    return InvalidArgument("identifier's type code is not type_code");
  }
  if (id->issuer_code != c.issuer_code) {
    return InvalidArgument("identifier's issuer code is not issuer_code");
  }
  CITYCODE_RETURN_IF_ERROR(CheckText("name", c.name, 1, kMaxNameCodePoints));
  CITYCODE_RETURN_IF_ERROR(CheckText("holder_name", c.holder_name, 1, kMaxNameCodePoints));
  CITYCODE_RETURN_IF_ERROR(CheckText("issuer_name", c.issuer_name, 1, kMaxIssuerNameCodePoints));
  CITYCODE_RETURN_IF_ERROR(CheckHolderId(c, *type));
  CITYCODE_RETURN_IF_ERROR(CheckDates(c));
  CITYCODE_RETURN_IF_ERROR(CheckFaceFields(c, *type));
  if (CertificateStatusCode(c.status).empty()) {
    return InvalidArgument("status is not a known certificate status");
  }
  return OkStatus();
}

json CertificateToJson(const SignedCertificate& signed_certificate) {
  json object = CanonicalObject(signed_certificate.certificate);
  object[kKeyIdKey] = signed_certificate.key_id;
  object[kSignatureKey] = Base64UrlEncode(signed_certificate.signature);
  return object;
}

Result<SignedCertificate> CertificateFromJson(const json& object) {
  if (!object.is_object()) return InvalidArgument("certificate JSON must be an object");
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    const bool known = key == kFieldsKey || key == kStatusKey || key == kKeyIdKey ||
                       key == kSignatureKey ||
                       std::any_of(kStringMembers.begin(), kStringMembers.end(),
                                   [&](const StringMember& m) { return key == m.key; });
    if (!known) {
      return InvalidArgument(IsPrintableKey(key)
                                 ? "certificate JSON has an unknown key \"" + key + "\""
                                 : std::string("certificate JSON has an unknown key"));
    }
  }
  SignedCertificate result;
  Certificate& c = result.certificate;
  for (const StringMember& m : kStringMembers) {
    CITYCODE_ASSIGN_OR_RETURN(c.*m.member, GetString(object, m.key));
  }
  CITYCODE_ASSIGN_OR_RETURN(c.fields, GetFields(object));
  CITYCODE_ASSIGN_OR_RETURN(const std::string status, GetString(object, kStatusKey));
  const Result<CertificateStatus> parsed_status = CertificateStatusFromCode(status);
  if (!parsed_status.ok()) {
    return InvalidArgument("certificate JSON \"status\" must be one of the codes 01-05, 07");
  }
  c.status = *parsed_status;
  CITYCODE_ASSIGN_OR_RETURN(result.key_id, GetString(object, kKeyIdKey));
  if (result.key_id.size() != kKeyIdHexLength || !IsLowerHex(result.key_id)) {
    return InvalidArgument("certificate JSON \"key_id\" must be 16 lower-case hex digits");
  }
  CITYCODE_ASSIGN_OR_RETURN(const std::string signature, GetString(object, kSignatureKey));
  Result<Bytes> signature_bytes = Base64UrlDecode(signature);
  if (!signature_bytes.ok() || signature_bytes->empty()) {
    return InvalidArgument("certificate JSON \"signature\" must be non-empty base64url");
  }
  result.signature = std::move(*signature_bytes);
  return result;
}

Result<SignedCertificate> ParseCertificateJson(std::string_view text) {
  if (text.size() > kMaxCertificateJsonBytes) {
    return InvalidArgument("certificate JSON is longer than " +
                           std::to_string(kMaxCertificateJsonBytes) + " bytes");
  }
  // nlohmann keeps the last of duplicated keys; another parser may keep the
  // first, so a signed document with duplicates means two things. Track the
  // keys of each open object and refuse.
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  const json::parser_callback_t track_keys = [&](int /*depth*/, json::parse_event_t event,
                                                 json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() &&
            !open_objects.back().insert(parsed.get_ref<const std::string&>()).second) {
          duplicate = true;
        }
        break;
      default: break;
    }
    return true;
  };
  const json document = json::parse(text.begin(), text.end(), track_keys,
                                    /*allow_exceptions=*/false);
  if (document.is_discarded()) return InvalidArgument("certificate JSON is not valid JSON");
  if (duplicate) return InvalidArgument("certificate JSON has a duplicated key");
  return CertificateFromJson(document);
}

}  // namespace citycode::vault
