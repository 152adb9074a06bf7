// Per-key token buckets: each API key or session may make `rate` requests a
// second on average, in bursts of up to `burst`. In memory, per server
// process; a cluster's limit is the sum of its servers'.
#ifndef CITYCODE_SERVER_RATE_LIMITER_H_
#define CITYCODE_SERVER_RATE_LIMITER_H_

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace citycode::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // rate <= 0 disables limiting.
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // Takes one token from `key`'s bucket; false when it is empty.
  bool Allow(std::string_view key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  // Sharded so that threads serving different keys rarely meet on one lock.
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;
  // Buckets untouched this long are full again and can be forgotten.
  static constexpr std::size_t kMaxBucketsPerShard = 65'536;

  const double rate_;
  const double burst_;
  std::array<Shard, kShards> shards_;
};

}  // namespace citycode::server

#endif  // CITYCODE_SERVER_RATE_LIMITER_H_
