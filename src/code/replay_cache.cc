#include "code/replay_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "common/files.h"

namespace citycode::code {
namespace {

constexpr std::size_t kMaxJournalBytes = 64 * 1024 * 1024;

// "cti-hex t n"
std::optional<PresentationKey> ParseRecord(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  auto cti = FromHex(line.substr(0, sp1));
  PresentationKey key;
  if (!cti.ok() || cti->size() != key.cti.size()) return std::nullopt;
  std::copy(cti->begin(), cti->end(), key.cti.begin());
  const std::string_view t = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view n = line.substr(sp2 + 1);
  const auto t_result = std::from_chars(t.data(), t.data() + t.size(), key.made_at);
  const auto n_result = std::from_chars(n.data(), n.data() + n.size(), key.counter);
  if (t_result.ec != std::errc() || t_result.ptr != t.data() + t.size() ||
      n_result.ec != std::errc() || n_result.ptr != n.data() + n.size()) {
    return std::nullopt;
  }
  return key;
}

}  // namespace

std::size_t ReplayCache::Hash::operator()(const PresentationKey& key) const {
  // cti is random, so its first 8 bytes are already a good hash.
  std::uint64_t h;
  std::memcpy(&h, key.cti.data(), sizeof h);
  h ^= static_cast<std::uint64_t>(key.made_at) * 0x9E3779B97F4A7C15ULL;
  h ^= key.counter * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<std::size_t>(h);
}

ReplayCache::ReplayCache(std::size_t capacity, std::chrono::seconds horizon)
    : capacity_(capacity == 0 ? 1 : capacity), horizon_(horizon) {}

void ReplayCache::ExpireLocked(Instant now) {
  const std::int64_t oldest_kept = ToUnixSeconds(now) - horizon_.count();
  // Keys arrive roughly in time order; stop at the first one still fresh.
  while (!order_.empty() && order_.front().made_at < oldest_kept) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
}

bool ReplayCache::Insert(const PresentationKey& key, Instant now) {
  std::lock_guard lock(mutex_);
  ExpireLocked(now);
  if (seen_.contains(key)) return false;
  while (seen_.size() >= capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  seen_.insert(key);
  order_.push_back(key);
  return true;
}

bool ReplayCache::Contains(const PresentationKey& key) const {
  std::lock_guard lock(mutex_);
  return seen_.contains(key);
}

std::size_t ReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

ReplayJournal::ReplayJournal(std::filesystem::path path, int fd, std::size_t capacity,
                             std::chrono::seconds horizon)
    : path_(std::move(path)),
      fd_(fd),
      append_mutex_(std::make_unique<std::mutex>()),
      cache_(std::make_unique<ReplayCache>(capacity, horizon)) {}

ReplayJournal::ReplayJournal(ReplayJournal&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      append_mutex_(std::move(other.append_mutex_)),
      cache_(std::move(other.cache_)) {}

ReplayJournal::~ReplayJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ReplayJournal> ReplayJournal::Open(const std::filesystem::path& path, std::size_t capacity,
                                          std::chrono::seconds horizon, Instant now) {
  // Opened for writing first, so an unwritable journal is reported before
  // any code is verified rather than when one is accepted.
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    std::string message = "cannot open " + path.string() + " for writing: " + std::strerror(err);
    return err == EACCES ? PermissionDenied(std::move(message)) : Unavailable(std::move(message));
  }
  ReplayJournal journal(path, fd, capacity, horizon);
  CITYCODE_ASSIGN_OR_RETURN(std::string content, ReadFile(path, kMaxJournalBytes));
  std::string_view rest = content;
  int line_number = 0;
  while (!rest.empty()) {
    ++line_number;
    const std::size_t end = rest.find('\n');
    // A line without its newline is a write cut short by a crash: it was
    // never acknowledged, so it is cut off before the next append.
    if (end == std::string_view::npos) {
      if (::ftruncate(fd, static_cast<off_t>(content.size() - rest.size())) != 0) {
        return Unavailable("cannot repair " + path.string() + ": " + std::strerror(errno));
      }
      break;
    }
    auto key = ParseRecord(rest.substr(0, end));
    if (!key) {
      return InvalidArgument(path.string() + " line " + std::to_string(line_number) +
                             " is not a replay record");
    }
    rest.remove_prefix(end + 1);
    journal.cache_->Insert(*key, now);
  }
  return journal;
}

Result<bool> ReplayJournal::Insert(const PresentationKey& key, Instant now) {
  std::lock_guard lock(*append_mutex_);
  if (cache_->Contains(key)) return false;
  const std::string line =
      ToHex(key.cti) + " " + std::to_string(key.made_at) + " " + std::to_string(key.counter) + "\n";
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fsync(fd_) != 0) {
    return Unavailable("cannot write " + path_.string() + ": " + std::strerror(errno));
  }
  return cache_->Insert(key, now);
}

}  // namespace citycode::code
