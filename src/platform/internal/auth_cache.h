// Bearer tokens authenticated lately, so that a request does not read its
// key or session from the store each time. An entry lasts while the
// platform clock's second is the one it was read in — at most 1 s, the
// bound within which a key revoked, a terminal disabled or a session ended
// by another server sharing the database is refused here too — and every
// such change made through this process forgets them all at once
// (PlatformCore::ChangeAccess).
#ifndef CITYCODE_PLATFORM_INTERNAL_AUTH_CACHE_H_
#define CITYCODE_PLATFORM_INTERNAL_AUTH_CACHE_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "platform/principal.h"

namespace citycode::platform {

class AuthCache {
 public:
  static constexpr std::size_t kMaxEntries = 100'000;  // then it starts over

  // The caller reads the store after Find misses and Puts what it read with
  // the generation it took before reading: a change forgotten meanwhile
  // (Invalidate) makes that Put a no-op, so no entry outlives a change.
  std::uint64_t generation() const;
  std::optional<Principal> Find(std::string_view token, Instant now) const;
  void Put(std::string_view token, const Principal& principal, Instant read_at,
           std::uint64_t generation);
  void Invalidate();

 private:
  struct Entry {
    Principal principal;
    Instant read_at;
  };
  static std::string Key(std::string_view token);  // SHA-256: no secret kept

  mutable std::mutex mu_;
  std::uint64_t generation_ = 0;                    // guarded by mu_
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_INTERNAL_AUTH_CACHE_H_
