#include "common/backoff.h"

#include <algorithm>
#include <functional>

namespace citycode {

FailureBackoff::Shard& FailureBackoff::ShardOf(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::chrono::seconds FailureBackoff::Wait(std::string_view key, SteadyClock::time_point now) {
  if (free_failures_ <= 0) return {};
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(std::string(key));
  if (it == shard.entries.end() || it->second.blocked_until <= now) return {};
  return std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now);
}

void FailureBackoff::Failed(std::string_view key, SteadyClock::time_point now) {
  if (free_failures_ <= 0) return;
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= kMaxEntriesPerShard) {
    std::erase_if(shard.entries, [&](const auto& item) {
      return item.second.blocked_until <= now && now - item.second.last_failure > max_wait_;
    });
    if (shard.entries.size() >= kMaxEntriesPerShard) shard.entries.clear();
  }
  Entry& entry = shard.entries[std::string(key)];
  // Failures spread wider than the longest wait start over.
  if (entry.failures > 0 && now - entry.last_failure > max_wait_) entry = Entry{};
  entry.last_failure = now;
  if (++entry.failures <= free_failures_) return;
  const int doublings = std::min(entry.failures - free_failures_ - 1, 30);
  const auto wait = std::min<std::chrono::seconds>(max_wait_, first_wait_ * (1LL << doublings));
  entry.blocked_until = now + wait;
}

void FailureBackoff::Succeeded(std::string_view key) {
  if (free_failures_ <= 0) return;
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mutex);
  shard.entries.erase(std::string(key));
}

}  // namespace citycode
