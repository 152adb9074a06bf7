// A bounded pool of database connections, shared by both backends.
#ifndef CITYCODE_STORE_INTERNAL_POOL_H_
#define CITYCODE_STORE_INTERNAL_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace citycode::store::internal {

// Opens connections lazily (or all at once: OpenAll), up to `max_size`, and
// hands out idle ones most recently used first. Thread-safe. Transactions
// hold the pool through a shared_ptr, so one that outlives its Database
// still has a home to return its connection to.
template <typename Connection>
class ConnectionPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Connection>>()>;

  ConnectionPool(std::size_t max_size, std::chrono::milliseconds wait, Opener open)
      : max_size_(max_size == 0 ? 1 : max_size), wait_(wait), open_(std::move(open)) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection or a new one; unavailable if none is free within
  // `wait`, or the error of opening one. Callers are served in arrival
  // order: a thread that gives a connection back and asks again at once
  // (a bulk load's loop) queues behind those already waiting, such as the
  // SQLite checkpointer, which would otherwise wait for the loop to end.
  Result<std::unique_ptr<Connection>> Acquire() {
    std::unique_lock lock(mu_);
    const std::uint64_t ticket = next_ticket_++;
    const bool served = free_.wait_for(lock, wait_, [&] {
      SkipAbandoned();
      return ticket == serving_ && (!idle_.empty() || open_count_ < max_size_);
    });
    if (!served) {
      abandoned_.insert(ticket);
      SkipAbandoned();
      lock.unlock();
      free_.notify_all();  // the next in line may be able to go now
      return Status::System(StatusCode::kUnavailable, "all " + std::to_string(max_size_) +
                                                          " database connections are in use");
    }
    ++serving_;
    SkipAbandoned();
    std::unique_ptr<Connection> connection;
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_count_;  // a slot reserved: connect below, without the lock
    }
    const bool more_left = !idle_.empty() || open_count_ < max_size_;
    lock.unlock();
    if (more_left) free_.notify_all();  // the next in line can go too
    if (connection) return connection;
    // Connecting to a server can take a while.
    Result<std::unique_ptr<Connection>> opened = open_();
    if (!opened.ok()) Release(nullptr);
    return opened;
  }

  // Opens connections until max_size are open, each left idle; the error of
  // the first that cannot be opened.
  Status OpenAll() {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (open_count_ >= max_size_) return OkStatus();
        ++open_count_;  // a slot reserved, as in Acquire
      }
      Result<std::unique_ptr<Connection>> opened = open_();
      if (!opened.ok()) {
        Release(nullptr);
        return opened.status();
      }
      Release(*std::move(opened));
    }
  }

  // Callers waiting in Acquire now (for tests and diagnostics).
  std::size_t waiting() const {
    std::lock_guard lock(mu_);
    return next_ticket_ - serving_ - abandoned_.size();
  }

  // Gives a connection back; nullptr frees its slot instead (the caller
  // closed a connection it no longer trusts).
  void Release(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mu_);
      if (connection) {
        idle_.push_back(std::move(connection));
      } else {
        --open_count_;
      }
    }
    free_.notify_all();  // only the first in line may take it
  }

 private:
  const std::size_t max_size_;
  const std::chrono::milliseconds wait_;
  const Opener open_;
  mutable std::mutex mu_;
  std::condition_variable free_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  // The queue: tickets in arrival order; `serving_` is the first still
  // waiting. Guarded by mu_.
  std::uint64_t next_ticket_ = 0;
  std::uint64_t serving_ = 0;
  std::set<std::uint64_t> abandoned_;  // tickets whose callers timed out

  // Moves `serving_` past callers that gave up. Requires mu_.
  void SkipAbandoned() {
    while (abandoned_.erase(serving_) > 0) ++serving_;
  }
  std::size_t open_count_ = 0;  // idle and in use; guarded by mu_
};

// What both backends' transactions share: the pooled connection they hold
// (null once committed or rolled back), and PostgreSQL's rule that after a
// failed statement only a rollback is allowed. SQLite would carry on; holding
// it to the same rule keeps code written against SQLite portable.
template <typename Connection>
class PooledTransaction : public Transaction {
 protected:
  using Pool = ConnectionPool<Connection>;

  PooledTransaction(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> connection)
      : pool_(std::move(pool)), connection_(std::move(connection)) {}

  Status CheckUsable() const {
    if (connection_ == nullptr)
      return Status::System(StatusCode::kFailedPrecondition, "the transaction has ended");
    if (failed_) {
      return Status::System(StatusCode::kFailedPrecondition,
                            "an earlier statement failed; roll the transaction back");
    }
    return OkStatus();
  }
  Status Fail(Status status) {
    failed_ = true;
    return status;
  }

  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Connection> connection_;
  bool failed_ = false;
};

}  // namespace citycode::store::internal

#endif  // CITYCODE_STORE_INTERNAL_POOL_H_
