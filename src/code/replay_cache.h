// Remembers which presentations a verifier has accepted, so the same code
// shown twice within its freshness window is refused.
#ifndef CITYCODE_CODE_REPLAY_CACHE_H_
#define CITYCODE_CODE_REPLAY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "code/credential.h"
#include "common/clock.h"
#include "common/status.h"

namespace citycode::code {

// One presentation: DESIGN.md's replay key (cti, t, n).
struct PresentationKey {
  CredentialId cti{};
  std::int64_t made_at = 0;   // t, unix seconds
  std::uint64_t counter = 0;  // n
  friend bool operator==(const PresentationKey&, const PresentationKey&) = default;
};

// A bounded, thread-safe set of presentation keys.
//
// Keys older than `horizon` before the newest time seen are dropped: by then
// the freshness check refuses the code anyway. When `capacity` keys are held,
// the oldest inserted is dropped first, so memory stays bounded even under a
// flood; a flood larger than the capacity within one window can therefore
// let an evicted code through again, so size the capacity above the peak
// scans per window (the default, 100 000, is far above one gate's rate).
class ReplayCache {
 public:
  ReplayCache(std::size_t capacity, std::chrono::seconds horizon);

  // Records `key` and returns true if it was not seen before; false if it
  // is a replay. `now` drives expiry.
  bool Insert(const PresentationKey& key, Instant now);
  bool Contains(const PresentationKey& key) const;
  std::size_t size() const;

 private:
  struct Hash {
    std::size_t operator()(const PresentationKey& key) const;
  };
  void ExpireLocked(Instant now);

  const std::size_t capacity_;
  const std::chrono::seconds horizon_;
  mutable std::mutex mutex_;
  std::unordered_set<PresentationKey, Hash> seen_;
  std::deque<PresentationKey> order_;  // insertion order, for eviction
};

// A replay cache that survives restarts: an append-only journal file of
// accepted keys, one line "cti-hex t n" each, fsynced before Insert returns.
// Used by `citycode code verify --replay-db`. Thread-safe within one
// process; not for several processes at once.
class ReplayJournal {
 public:
  // Opens (creating if missing) the journal for appending and loads its
  // recent keys. Errors name the file: unavailable/permission_denied if it
  // cannot be opened for writing, invalid_argument if a line is garbage.
  static Result<ReplayJournal> Open(const std::filesystem::path& path, std::size_t capacity,
                                    std::chrono::seconds horizon, Instant now);
  ReplayJournal(ReplayJournal&& other) noexcept;
  ReplayJournal& operator=(ReplayJournal&&) = delete;
  ~ReplayJournal();

  // Like ReplayCache::Insert, but an accepted key is written to the file
  // before it counts as seen. unavailable if it cannot be written.
  Result<bool> Insert(const PresentationKey& key, Instant now);
  bool Contains(const PresentationKey& key) const { return cache_->Contains(key); }

 private:
  ReplayJournal(std::filesystem::path path, int fd, std::size_t capacity,
                std::chrono::seconds horizon);
  std::filesystem::path path_;
  int fd_;
  std::unique_ptr<std::mutex> append_mutex_;
  std::unique_ptr<ReplayCache> cache_;
};

}  // namespace citycode::code

#endif  // CITYCODE_CODE_REPLAY_CACHE_H_
