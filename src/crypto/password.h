// Password hashing with argon2id (libsodium), in the self-describing string
// form ("$argon2id$v=19$m=…,t=…,p=…$salt$hash") so parameters can be raised
// later without breaking stored hashes.
#ifndef CITYCODE_CRYPTO_PASSWORD_H_
#define CITYCODE_CRYPTO_PASSWORD_H_

#include <atomic>
#include <semaphore>
#include <string>
#include <string_view>

#include "common/status.h"

namespace citycode::crypto {

enum class PasswordCost {
  kInteractive,  // libsodium's interactive limits (64 MiB, 2 passes): production
  kMinimal,      // the smallest argon2id allows: tests and demo seeding only
};

// Passwords longer than this are refused (hashing cost must stay bounded).
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// invalid_argument for an empty or too long password.
Result<std::string> HashPassword(std::string_view password, PasswordCost cost);

// True when `password` matches `hash`; false for a mismatch or a hash that is
// not an argon2id string. Constant time in the password.
bool VerifyPassword(std::string_view password, std::string_view hash);

// Bounds the password hashing running at once: `threads` hash at a time and
// `queue` more wait their turn; past that, resource_exhausted (busy) at
// once. A flood of logins then holds at most threads + queue of the
// server's request handlers, and the rest keep serving.
class PasswordGate {
 public:
  PasswordGate(int threads, int queue);
  // As HashPassword and VerifyPassword, inside the bound.
  Result<std::string> Hash(std::string_view password, PasswordCost cost);
  Result<bool> Verify(std::string_view password, std::string_view hash);

 private:
  // Admits the caller (or refuses: busy) and waits for a hashing slot.
  Status Enter();
  void Leave();

  const int limit_;
  std::atomic<int> admitted_{0};
  std::counting_semaphore<1024> running_;
};

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_PASSWORD_H_
