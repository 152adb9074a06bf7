// Back-off after repeated failures (wrong passwords, unknown tokens): a key
// may fail `free_failures` times in a row freely; each further failure
// makes it wait, twice as long each time from `first_wait` up to
// `max_wait`; a success clears it. In memory, per server process (a
// cluster's allowance is the sum of its servers'), so that refusing costs
// no database read.
#ifndef CITYCODE_COMMON_BACKOFF_H_
#define CITYCODE_COMMON_BACKOFF_H_

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace citycode {

class FailureBackoff {
 public:
  using SteadyClock = std::chrono::steady_clock;
  // free_failures <= 0 disables it: nobody ever waits.
  FailureBackoff(int free_failures, std::chrono::seconds first_wait, std::chrono::seconds max_wait)
      : free_failures_(free_failures), first_wait_(first_wait), max_wait_(max_wait) {}

  // How long `key` must still wait before it may try; zero when it may now.
  std::chrono::seconds Wait(std::string_view key, SteadyClock::time_point now = SteadyClock::now());
  void Failed(std::string_view key, SteadyClock::time_point now = SteadyClock::now());
  void Succeeded(std::string_view key);

 private:
  struct Entry {
    int failures = 0;
    SteadyClock::time_point blocked_until{};
    SteadyClock::time_point last_failure{};
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
  };
  static constexpr std::size_t kShards = 16;
  // A full shard forgets entries whose wait is over (a flood of distinct
  // keys cannot grow it without bound).
  static constexpr std::size_t kMaxEntriesPerShard = 65'536;
  Shard& ShardOf(std::string_view key);

  const int free_failures_;
  const std::chrono::seconds first_wait_;
  const std::chrono::seconds max_wait_;
  std::array<Shard, kShards> shards_;
};

}  // namespace citycode

#endif  // CITYCODE_COMMON_BACKOFF_H_
