#include "platform/internal/auth_cache.h"

#include "crypto/hash.h"

namespace citycode::platform {

std::string AuthCache::Key(std::string_view token) {
  const auto digest = crypto::Sha256(AsBytes(token));
  return std::string(digest.begin(), digest.end());
}

std::uint64_t AuthCache::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::optional<Principal> AuthCache::Find(std::string_view token, Instant now) const {
  const std::string key = Key(token);
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.read_at != now) return std::nullopt;
  return it->second.principal;
}

void AuthCache::Put(std::string_view token, const Principal& principal, Instant read_at,
                    std::uint64_t generation) {
  std::string key = Key(token);
  std::lock_guard lock(mu_);
  if (generation != generation_) return;
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_.insert_or_assign(std::move(key), Entry{principal, read_at});
}

void AuthCache::Invalidate() {
  std::lock_guard lock(mu_);
  ++generation_;
  entries_.clear();
}

}  // namespace citycode::platform
