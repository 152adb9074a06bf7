// The flattened JWS and payload fields of the signed lists (signed_list.h).
#include "code/internal/signed_list.h"

#include <algorithm>

#include "code/trust_list.h"
#include "common/bytes.h"
#include "crypto/algorithm.h"

namespace citycode::code::internal {

using nlohmann::json;

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

namespace {

// An unprotected header (none of ours has one) must be an object whose
// names the protected header does not hold (RFC 7515 §7.2.1), and "crit"
// must be protected (§4.1.11): else one reader may take an alg or kid from
// where another does not. Found by tests/jws_differential_test.cc.
Status CheckUnprotectedHeader(const json& jws, const json& protected_header) {
  const auto it = jws.find("header");
  if (it == jws.end()) return OkStatus();
  if (!it->is_object()) return InvalidArgument("JWS unprotected header is not an object");
  for (const auto& [name, value] : it->items()) {
    if (name == "crit" || protected_header.contains(name)) {
      return InvalidArgument("JWS unprotected header repeats or adds a protected name");
    }
  }
  return OkStatus();
}

}  // namespace

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
  CITYCODE_RETURN_IF_ERROR(CheckUnprotectedHeader(jws, header));
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

Result<std::vector<Hash128>> ParseHashes(const json& array) {
  if (!array.is_array()) return InvalidArgument("list hashes are not a list");
  std::vector<Hash128> hashes;
  hashes.reserve(array.size());
  for (const json& hash : array) {
    const std::string* text = hash.get_ptr<const std::string*>();
    Hash128 entry;
    if (text == nullptr || text->size() != 2 * entry.size()) {
      return InvalidArgument("list entry is not 16 bytes of hex");
    }
    auto bytes = FromHex(*text);
    if (!bytes.ok()) return InvalidArgument("list entry is not 16 bytes of hex");
    std::copy(bytes->begin(), bytes->end(), entry.begin());
    hashes.push_back(entry);
  }
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  return hashes;
}

json HashArray(const std::vector<Hash128>& sorted_hashes) {
  json array = json::array();
  for (const Hash128& hash : sorted_hashes) array.push_back(ToHex(hash));
  return array;
}

}  // namespace citycode::code::internal
