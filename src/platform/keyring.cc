#include "platform/keyring.h"

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "crypto/random.h"

namespace citycode::platform {
namespace {

constexpr std::uint8_t kEnvelopeVersion = 1;
constexpr std::size_t kMaxKeyringBytes = 64 * 1024;

crypto::AeadKey RandomKey() { return crypto::RandomArray<crypto::kAeadKeySize>(); }

Result<crypto::AeadKey> KeyFromHex(const nlohmann::json& value) {
  if (!value.is_string()) return InvalidArgument("keyring: a key is not a hex string");
  CITYCODE_ASSIGN_OR_RETURN(Bytes bytes, FromHex(value.get<std::string>()));
  if (bytes.size() != crypto::kAeadKeySize)
    return InvalidArgument("keyring: a key is not 32 bytes");
  crypto::AeadKey key;
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

// The data key's aad ties it to the master key id and the record's aad.
Bytes WrapAad(std::string_view key_id, std::string_view aad) {
  Bytes out = ToBytes("citycode-dek");
  out.push_back(0);
  out.insert(out.end(), key_id.begin(), key_id.end());
  out.push_back(0);
  out.insert(out.end(), aad.begin(), aad.end());
  return out;
}

struct ParsedEnvelope {
  std::string key_id;
  ByteView wrapped;
  ByteView sealed;
};

// version ‖ len8 ‖ key id ‖ len16 ‖ wrapped data key ‖ sealed data
Result<ParsedEnvelope> ParseEnvelope(ByteView envelope) {
  const auto bad = [] { return InvalidArgument("not a sealed value"); };
  if (envelope.size() < 2 || envelope[0] != kEnvelopeVersion) return bad();
  const std::size_t id_size = envelope[1];
  if (envelope.size() < 2 + id_size + 2) return bad();
  ParsedEnvelope out;
  out.key_id.assign(reinterpret_cast<const char*>(envelope.data()) + 2, id_size);
  const std::size_t at = 2 + id_size;
  const std::size_t wrapped_size = (std::size_t{envelope[at]} << 8) | envelope[at + 1];
  if (envelope.size() < at + 2 + wrapped_size) return bad();
  out.wrapped = envelope.subspan(at + 2, wrapped_size);
  out.sealed = envelope.subspan(at + 2 + wrapped_size);
  return out;
}

Bytes BuildEnvelope(std::string_view key_id, ByteView wrapped, ByteView sealed) {
  Bytes out;
  out.reserve(4 + key_id.size() + wrapped.size() + sealed.size());
  out.push_back(kEnvelopeVersion);
  out.push_back(static_cast<std::uint8_t>(key_id.size()));
  out.insert(out.end(), key_id.begin(), key_id.end());
  out.push_back(static_cast<std::uint8_t>(wrapped.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(wrapped.size()));
  out.insert(out.end(), wrapped.begin(), wrapped.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

}  // namespace

Keyring Keyring::Generate(crypto::CipherProfile profile) {
  Keyring keyring;
  keyring.profile_ = profile;
  keyring.index_key_ = RandomKey();
  keyring.RotateMasterKey();
  return keyring;
}

std::string Keyring::RotateMasterKey() {
  current_ = "mk" + std::to_string(master_keys_.size() + 1);
  master_keys_[current_] = RandomKey();
  return current_;
}

Result<Keyring> Keyring::Load(const std::filesystem::path& file) {
  CITYCODE_ASSIGN_OR_RETURN(std::string text, ReadFile(file, kMaxKeyringBytes));
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto bad = [&](std::string_view what) {
    return InvalidArgument("keyring " + file.string() + ": " + std::string(what));
  };
  if (!doc.is_object() || !doc.contains("profile") || !doc["profile"].is_string() ||
      !doc.contains("current") || !doc["current"].is_string() || !doc.contains("master_keys") ||
      !doc["master_keys"].is_object() || !doc.contains("index_key")) {
    return bad("not a keyring (profile, current, master_keys, index_key)");
  }
  Keyring keyring;
  CITYCODE_ASSIGN_OR_RETURN(keyring.profile_,
                            crypto::CipherProfileFromName(doc["profile"].get<std::string>()));
  for (const auto& [id, value] : doc["master_keys"].items()) {
    if (id.empty() || id.size() > 32) return bad("master key ids are 1-32 characters");
    CITYCODE_ASSIGN_OR_RETURN(keyring.master_keys_[id], KeyFromHex(value));
  }
  keyring.current_ = doc["current"].get<std::string>();
  if (!keyring.master_keys_.contains(keyring.current_)) return bad("current master key missing");
  CITYCODE_ASSIGN_OR_RETURN(keyring.index_key_, KeyFromHex(doc["index_key"]));
  return keyring;
}

Status Keyring::Save(const std::filesystem::path& file) const {
  nlohmann::json doc = {{"profile", crypto::CipherProfileName(profile_)},
                        {"current", current_},
                        {"index_key", ToHex(index_key_)}};
  doc["master_keys"] = nlohmann::json::object();
  for (const auto& [id, key] : master_keys_) doc["master_keys"][id] = ToHex(key);
  return WriteFileAtomic(file, doc.dump(2) + "\n", 0600);
}

Result<Keyring> Keyring::LoadOrCreate(const std::filesystem::path& file,
                                      crypto::CipherProfile profile) {
  auto loaded = Load(file);
  if (loaded.ok() || loaded.status().code() != StatusCode::kNotFound) return loaded;
  Keyring keyring = Generate(profile);
  CITYCODE_RETURN_IF_ERROR(keyring.Save(file));
  return keyring;
}

Bytes Keyring::Seal(ByteView plaintext, std::string_view aad) const {
  const crypto::AeadKey data_key = RandomKey();
  const Bytes wrapped =
      crypto::Seal(profile_, master_keys_.at(current_), data_key, WrapAad(current_, aad));
  const Bytes sealed = crypto::Seal(profile_, data_key, plaintext, AsBytes(aad));
  return BuildEnvelope(current_, wrapped, sealed);
}

Result<Bytes> Keyring::Open(ByteView envelope, std::string_view aad) const {
  CITYCODE_ASSIGN_OR_RETURN(ParsedEnvelope parsed, ParseEnvelope(envelope));
  const auto master = master_keys_.find(parsed.key_id);
  if (master == master_keys_.end()) return NotFound("sealed with a master key not in the keyring");
  CITYCODE_ASSIGN_OR_RETURN(
      Bytes data_key, crypto::Open(master->second, parsed.wrapped, WrapAad(parsed.key_id, aad)));
  if (data_key.size() != crypto::kAeadKeySize) return Unauthenticated("bad data key");
  crypto::AeadKey key;
  std::copy(data_key.begin(), data_key.end(), key.begin());
  return crypto::Open(key, parsed.sealed, AsBytes(aad));
}

Result<Bytes> Keyring::Rewrap(ByteView envelope, std::string_view aad) const {
  CITYCODE_ASSIGN_OR_RETURN(ParsedEnvelope parsed, ParseEnvelope(envelope));
  if (parsed.key_id == current_) return Bytes(envelope.begin(), envelope.end());
  const auto master = master_keys_.find(parsed.key_id);
  if (master == master_keys_.end()) return NotFound("sealed with a master key not in the keyring");
  CITYCODE_ASSIGN_OR_RETURN(
      Bytes data_key, crypto::Open(master->second, parsed.wrapped, WrapAad(parsed.key_id, aad)));
  const Bytes wrapped =
      crypto::Seal(profile_, master_keys_.at(current_), data_key, WrapAad(current_, aad));
  return BuildEnvelope(current_, wrapped, parsed.sealed);
}

Result<std::string> Keyring::MasterKeyId(ByteView envelope) const {
  CITYCODE_ASSIGN_OR_RETURN(ParsedEnvelope parsed, ParseEnvelope(envelope));
  return parsed.key_id;
}

BlindIndex Keyring::Index(std::string_view purpose, std::string_view value) const {
  Bytes input(purpose.begin(), purpose.end());
  input.push_back(0);
  input.insert(input.end(), value.begin(), value.end());
  return crypto::Hmac(profile_, index_key_, input);
}

}  // namespace citycode::platform
