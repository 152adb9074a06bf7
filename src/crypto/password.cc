#include "crypto/password.h"

#include <sodium.h>

#include <new>

namespace citycode::crypto {

Result<std::string> HashPassword(std::string_view password, PasswordCost cost) {
  if (password.empty()) return InvalidArgument("password is empty");
  if (password.size() > kMaxPasswordBytes) return InvalidArgument("password is too long");
  if (sodium_init() < 0) throw std::bad_alloc();
  const bool interactive = cost == PasswordCost::kInteractive;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(
          out, password.data(), password.size(),
          interactive ? crypto_pwhash_OPSLIMIT_INTERACTIVE : crypto_pwhash_OPSLIMIT_MIN,
          interactive ? crypto_pwhash_MEMLIMIT_INTERACTIVE : crypto_pwhash_MEMLIMIT_MIN,
          crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::bad_alloc();  // the only failure: the memory limit cannot be allocated
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, std::string_view hash) {
  if (password.size() > kMaxPasswordBytes || hash.size() >= crypto_pwhash_STRBYTES) return false;
  if (sodium_init() < 0) return false;
  if (hash.rfind("$argon2id$", 0) != 0) return false;
  char stored[crypto_pwhash_STRBYTES] = {};
  hash.copy(stored, hash.size());
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

}  // namespace citycode::crypto
