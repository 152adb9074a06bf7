// JWS, flattened JSON serialization (RFC 7515 §7.2.2):
//
//   { "protected": b64url(UTF8({"alg": "EdDSA"|"ES256"|"SM2SM3", "kid": hex(root kid)})),
//     "payload":   b64url(UTF8(list JSON)),
//     "signature": b64url(raw signature over ASCII(protected "." payload)) }
//
// Payloads (DESIGN.md):
//   {"type": "citycode-trust-list", "version": N, "issuer": "citycode:jimo",
//    "issued_at": RFC 3339, "expires_at": RFC 3339,
//    "keys": [{"kid": hex, "alg": "EdDSA"|"ES256"|"SM2",
//              "public_key": base64(SPKI DER), "not_before": RFC 3339, "not_after": RFC 3339}]}
//   {"type": "citycode-revocation-list", "version": N, "issued_at": …, "expires_at": …,
//    "cti_sha256_128": [hex(first 16 bytes of SHA-256(cti)), …]}
#include "code/trust_list.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/hash.h"

namespace citycode::code {
namespace {

using nlohmann::json;

constexpr std::string_view kTrustListType = "citycode-trust-list";
constexpr std::string_view kRevocationListType = "citycode-revocation-list";
constexpr std::size_t kMaxKeys = 1024;

Result<std::string> SignJws(const json& payload, const crypto::PrivateKey& key) {
  const json header = {{"alg", crypto::JoseAlgorithm(key.algorithm())},
                       {"kid", ToHex(key.public_key().key_id())}};
  const std::string signing_input =
      Base64UrlEncode(AsBytes(header.dump())) + "." + Base64UrlEncode(AsBytes(payload.dump()));
  CITYCODE_ASSIGN_OR_RETURN(Bytes signature, key.Sign(AsBytes(signing_input)));
  const std::size_t dot = signing_input.find('.');
  const json jws = {{"protected", signing_input.substr(0, dot)},
                    {"payload", signing_input.substr(dot + 1)},
                    {"signature", Base64UrlEncode(signature)}};
  return jws.dump(2) + "\n";
}

// Returns the verified payload JSON.
Result<json> VerifyJws(std::string_view text, const crypto::PublicKey& key) {
  if (text.size() > kMaxListBytes) return InvalidArgument("signed list is too large");
  const json jws = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!jws.is_object() || !jws.contains("protected") || !jws["protected"].is_string() ||
      !jws.contains("payload") || !jws["payload"].is_string() || !jws.contains("signature") ||
      !jws["signature"].is_string()) {
    return InvalidArgument("signed list is not a flattened JWS (protected, payload, signature)");
  }
  const std::string& protected_b64 = jws["protected"].get_ref<const std::string&>();
  const std::string& payload_b64 = jws["payload"].get_ref<const std::string&>();
  CITYCODE_ASSIGN_OR_RETURN(Bytes header_bytes, Base64UrlDecode(protected_b64));
  CITYCODE_ASSIGN_OR_RETURN(Bytes signature,
                            Base64UrlDecode(jws["signature"].get_ref<const std::string&>()));
  const json header = json::parse(AsChars(header_bytes), nullptr, false);
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) {
    return InvalidArgument("JWS protected header has no alg");
  }
  // We implement no JWS extensions, so any critical one must be refused
  // (RFC 7515 §4.1.11).
  if (header.contains("crit")) return InvalidArgument("JWS uses unsupported critical headers");
  const auto alg = crypto::AlgorithmFromJose(header["alg"].get<std::string>());
  if (!alg.ok() || *alg != key.algorithm()) {
    return Unauthenticated("JWS alg does not match the root key");
  }
  const std::string signing_input = protected_b64 + "." + payload_b64;
  if (!key.Verify(AsBytes(signing_input), signature)) {
    return Unauthenticated("signed list does not verify with the root key");
  }
  CITYCODE_ASSIGN_OR_RETURN(Bytes payload_bytes, Base64UrlDecode(payload_b64));
  json payload = json::parse(AsChars(payload_bytes), nullptr, false);
  if (!payload.is_object()) return InvalidArgument("signed list payload is not a JSON object");
  return payload;
}

Result<std::string> GetString(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) {
    return InvalidArgument(std::string("list field ") + field + " is missing or not text");
  }
  return it->get<std::string>();
}

Result<Instant> GetTime(const json& object, const char* field) {
  CITYCODE_ASSIGN_OR_RETURN(std::string text, GetString(object, field));
  auto time = ParseRfc3339(text);
  if (!time.ok()) return InvalidArgument(std::string("list field ") + field + " is not RFC 3339");
  return *time;
}

// Fields common to both lists: type, version, issued_at, expires_at.
Status ParseHeaderFields(const json& payload, std::string_view type, std::uint64_t& version,
                         Instant& issued_at, Instant& expires_at) {
  CITYCODE_ASSIGN_OR_RETURN(std::string actual_type, GetString(payload, "type"));
  if (actual_type != type) {
    return InvalidArgument("list type is '" + actual_type + "', expected '" + std::string(type) +
                           "'");
  }
  auto it = payload.find("version");
  if (it == payload.end() || !it->is_number_unsigned()) {
    return InvalidArgument("list field version is missing or not a whole number");
  }
  version = it->get<std::uint64_t>();
  CITYCODE_ASSIGN_OR_RETURN(issued_at, GetTime(payload, "issued_at"));
  CITYCODE_ASSIGN_OR_RETURN(expires_at, GetTime(payload, "expires_at"));
  if (expires_at <= issued_at) return InvalidArgument("list expires before it is issued");
  return OkStatus();
}

Result<TrustedKey> ParseTrustedKey(const json& entry) {
  if (!entry.is_object()) return InvalidArgument("trust list key is not an object");
  CITYCODE_ASSIGN_OR_RETURN(std::string kid_hex, GetString(entry, "kid"));
  CITYCODE_ASSIGN_OR_RETURN(std::string alg_name, GetString(entry, "alg"));
  CITYCODE_ASSIGN_OR_RETURN(std::string key_b64, GetString(entry, "public_key"));
  CITYCODE_ASSIGN_OR_RETURN(crypto::Algorithm alg, crypto::AlgorithmFromTrustList(alg_name));
  auto der = Base64Decode(key_b64);
  if (!der.ok()) return InvalidArgument("trust list public_key is not base64");
  auto key = crypto::PublicKey::FromSpkiDer(*der);
  if (!key.ok()) return InvalidArgument("trust list public_key: " + key.status().message());
  if (key->algorithm() != alg) return InvalidArgument("trust list key alg does not match its key");
  if (ToHex(key->key_id()) != kid_hex) {
    return InvalidArgument("trust list kid " + kid_hex + " does not match its key");
  }
  TrustedKey trusted{*std::move(key), {}, {}};
  CITYCODE_ASSIGN_OR_RETURN(trusted.not_before, GetTime(entry, "not_before"));
  CITYCODE_ASSIGN_OR_RETURN(trusted.not_after, GetTime(entry, "not_after"));
  return trusted;
}

}  // namespace

RevocationEntry RevocationEntryFor(const CredentialId& cti) {
  const crypto::Digest digest = crypto::Sha256(cti);
  RevocationEntry entry;
  std::copy_n(digest.begin(), entry.size(), entry.begin());
  return entry;
}

bool RevocationList::Contains(const CredentialId& cti) const {
  return std::binary_search(entries.begin(), entries.end(), RevocationEntryFor(cti));
}

Result<std::string> SignTrustList(const TrustList& list, const crypto::PrivateKey& root) {
  if (list.expires_at <= list.issued_at) return InvalidArgument("list expires before it is issued");
  json keys = json::array();
  for (const TrustedKey& trusted : list.keys) {
    keys.push_back({{"kid", ToHex(trusted.key.key_id())},
                    {"alg", crypto::TrustListAlgorithm(trusted.key.algorithm())},
                    {"public_key", Base64Encode(trusted.key.spki_der())},
                    {"not_before", FormatRfc3339(trusted.not_before)},
                    {"not_after", FormatRfc3339(trusted.not_after)}});
  }
  const json payload = {{"type", kTrustListType},
                        {"version", list.version},
                        {"issuer", list.issuer},
                        {"issued_at", FormatRfc3339(list.issued_at)},
                        {"expires_at", FormatRfc3339(list.expires_at)},
                        {"keys", std::move(keys)}};
  return SignJws(payload, root);
}

Result<std::string> SignRevocationList(const RevocationList& list, const crypto::PrivateKey& root) {
  if (list.expires_at <= list.issued_at) return InvalidArgument("list expires before it is issued");
  std::vector<RevocationEntry> entries = list.entries;
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  json hashes = json::array();
  for (const RevocationEntry& entry : entries) hashes.push_back(ToHex(entry));
  const json payload = {{"type", kRevocationListType},
                        {"version", list.version},
                        {"issued_at", FormatRfc3339(list.issued_at)},
                        {"expires_at", FormatRfc3339(list.expires_at)},
                        {"cti_sha256_128", std::move(hashes)}};
  return SignJws(payload, root);
}

Result<TrustList> VerifyTrustList(std::string_view jws, const crypto::PublicKey& root) {
  CITYCODE_ASSIGN_OR_RETURN(json payload, VerifyJws(jws, root));
  TrustList list;
  CITYCODE_RETURN_IF_ERROR(
      ParseHeaderFields(payload, kTrustListType, list.version, list.issued_at, list.expires_at));
  CITYCODE_ASSIGN_OR_RETURN(list.issuer, GetString(payload, "issuer"));
  auto keys = payload.find("keys");
  if (keys == payload.end() || !keys->is_array() || keys->size() > kMaxKeys) {
    return InvalidArgument("trust list keys is missing or not a list");
  }
  for (const json& entry : *keys) {
    CITYCODE_ASSIGN_OR_RETURN(TrustedKey key, ParseTrustedKey(entry));
    list.keys.push_back(std::move(key));
  }
  return list;
}

Result<RevocationList> VerifyRevocationList(std::string_view jws, const crypto::PublicKey& root) {
  CITYCODE_ASSIGN_OR_RETURN(json payload, VerifyJws(jws, root));
  RevocationList list;
  CITYCODE_RETURN_IF_ERROR(ParseHeaderFields(payload, kRevocationListType, list.version,
                                             list.issued_at, list.expires_at));
  auto hashes = payload.find("cti_sha256_128");
  if (hashes == payload.end() || !hashes->is_array()) {
    return InvalidArgument("revocation list cti_sha256_128 is missing or not a list");
  }
  list.entries.reserve(hashes->size());
  for (const json& hash : *hashes) {
    auto bytes =
        hash.is_string() ? FromHex(hash.get<std::string>()) : Result<Bytes>(InvalidArgument(""));
    if (!bytes.ok() || bytes->size() != RevocationEntry().size()) {
      return InvalidArgument("revocation list entry is not 16 bytes of hex");
    }
    RevocationEntry entry;
    std::copy(bytes->begin(), bytes->end(), entry.begin());
    list.entries.push_back(entry);
  }
  std::sort(list.entries.begin(), list.entries.end());
  list.entries.erase(std::unique(list.entries.begin(), list.entries.end()), list.entries.end());
  return list;
}

}  // namespace citycode::code
