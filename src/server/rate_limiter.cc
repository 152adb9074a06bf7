#include "server/rate_limiter.h"

#include <algorithm>
#include <functional>

namespace citycode::server {

bool RateLimiter::Allow(std::string_view key, Clock::time_point now) {
  if (rate_ <= 0) return true;
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) {
    // Bound memory under a flood of distinct (authenticated) keys: forget
    // buckets that have refilled completely.
    if (shard.buckets.size() >= kMaxBucketsPerShard) {
      std::erase_if(shard.buckets, [&](const auto& entry) {
        return std::chrono::duration<double>(now - entry.second.updated).count() * rate_ >= burst_;
      });
    }
    it = shard.buckets.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * rate_);
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace citycode::server
