#include "crypto/password.h"

#include <sodium.h>

#include <algorithm>
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

PasswordGate::PasswordGate(int threads, int queue)
    : limit_(std::max(1, threads) + std::max(0, queue)), running_(std::clamp(threads, 1, 1024)) {}

Status PasswordGate::Enter() {
  if (admitted_.fetch_add(1) >= limit_) {
    admitted_.fetch_sub(1);
    return ResourceExhausted("too many sign-ins at once; retry in a moment", "busy");
  }
  running_.acquire();
  return OkStatus();
}

void PasswordGate::Leave() {
  running_.release();
  admitted_.fetch_sub(1);
}

Result<std::string> PasswordGate::Hash(std::string_view password, PasswordCost cost) {
  CITYCODE_RETURN_IF_ERROR(Enter());
  Result<std::string> hash = HashPassword(password, cost);
  Leave();
  return hash;
}

Result<bool> PasswordGate::Verify(std::string_view password, std::string_view hash) {
  CITYCODE_RETURN_IF_ERROR(Enter());
  const bool matches = VerifyPassword(password, hash);
  Leave();
  return matches;
}

}  // namespace citycode::crypto
