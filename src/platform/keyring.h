// The keys that protect personal data at rest: master keys (envelope
// encryption: every record gets its own data key, wrapped by the current
// master key) and the index key (keyed hashes that let the platform find a
// citizen by phone or ID number without storing either in clear).
//
// The keyring lives in a file outside the database (mode 0600), so a copy of
// the database alone reveals nobody:
//   {"profile": "aes-256-gcm", "current": "mk2",
//    "master_keys": {"mk1": "<hex>", "mk2": "<hex>"}, "index_key": "<hex>"}
// Rotation adds a master key and makes it current; old ones stay to open old
// envelopes until Rewrap has moved them (only the small wrapped data key is
// rewritten, never the data). The index key never rotates: indexes would
// have to be recomputed from the clear values.
#ifndef CITYCODE_PLATFORM_KEYRING_H_
#define CITYCODE_PLATFORM_KEYRING_H_

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/aead.h"

namespace citycode::platform {

using BlindIndex = std::array<std::uint8_t, 32>;

class Keyring {
 public:
  // A new keyring with one random master key and a random index key.
  static Keyring Generate(crypto::CipherProfile profile);
  static Result<Keyring> Load(const std::filesystem::path& file);
  // Writes atomically with mode 0600.
  Status Save(const std::filesystem::path& file) const;
  // Loads `file`, or generates and saves a new keyring there if it is absent.
  static Result<Keyring> LoadOrCreate(const std::filesystem::path& file,
                                      crypto::CipherProfile profile);

  // Adds a fresh master key and makes it current; returns its id.
  std::string RotateMasterKey();

  // Envelope-encrypts `plaintext`; `aad` binds it to its place (table,
  // column, row id) so a sealed value copied elsewhere does not open.
  Bytes Seal(ByteView plaintext, std::string_view aad) const;
  // unauthenticated if the envelope or aad was changed; not_found if its
  // master key is not in this keyring.
  Result<Bytes> Open(ByteView envelope, std::string_view aad) const;
  // The same envelope with its data key wrapped by the current master key.
  Result<Bytes> Rewrap(ByteView envelope, std::string_view aad) const;
  // The id of the master key that wraps `envelope`.
  Result<std::string> MasterKeyId(ByteView envelope) const;

  // HMAC(index key, purpose ‖ 0 ‖ value), for equality lookups.
  BlindIndex Index(std::string_view purpose, std::string_view value) const;

  crypto::CipherProfile profile() const { return profile_; }
  const std::string& current_key_id() const { return current_; }

 private:
  crypto::CipherProfile profile_ = crypto::CipherProfile::kAes256Gcm;
  std::string current_;
  std::map<std::string, crypto::AeadKey, std::less<>> master_keys_;
  crypto::AeadKey index_key_{};
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_KEYRING_H_
