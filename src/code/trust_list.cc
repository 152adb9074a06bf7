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

#include "code/internal/signed_list.h"
#include "crypto/hash.h"

namespace citycode::code {
namespace {

using internal::GetString;
using internal::GetTime;
using internal::ParseHeaderFields;
using internal::SignJws;
using internal::VerifyJws;
using nlohmann::json;

constexpr std::string_view kTrustListType = "citycode-trust-list";
constexpr std::string_view kRevocationListType = "citycode-revocation-list";
constexpr std::size_t kMaxKeys = 1024;

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
  const json payload = {{"type", kRevocationListType},
                        {"version", list.version},
                        {"issued_at", FormatRfc3339(list.issued_at)},
                        {"expires_at", FormatRfc3339(list.expires_at)},
                        {"cti_sha256_128", internal::HashArray(entries)}};
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
  CITYCODE_ASSIGN_OR_RETURN(list.entries, internal::ParseHashes(*hashes));
  return list;
}

}  // namespace citycode::code
