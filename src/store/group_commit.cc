#include "store/group_commit.h"

#include <algorithm>
#include <future>
#include <iterator>
#include <memory>

namespace citycode::store {

GroupCommit::GroupCommit(Database& db, int committers, std::size_t max_batch)
    : db_(db), max_batch_(max_batch) {
  for (int i = 0; i < std::max(1, committers); ++i) {
    committers_.emplace_back([this] { CommitUntilStopped(); });
  }
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (std::thread& committer : committers_) committer.join();
}

void GroupCommit::Submit(Unit unit, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({.unit = std::move(unit), .done = std::move(done)});
  }
  queued_.notify_one();
}

Status GroupCommit::Run(const Unit& unit) {
  // Shared with the callback, which may still be returning from set_value
  // when this caller has its answer and returns.
  auto committed = std::make_shared<std::promise<Status>>();
  std::future<Status> answer = committed->get_future();
  Submit(unit, [committed](Status status) { committed->set_value(std::move(status)); });
  return answer.get();
}

std::size_t GroupCommit::Waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommit::CommitUntilStopped() {
  std::vector<Pending> batch;
  std::unique_lock lock(mu_);
  while (true) {
    queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything committed
    const auto end =
        queue_.begin() + static_cast<std::ptrdiff_t>(std::min(max_batch_, queue_.size()));
    batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
    queue_.erase(queue_.begin(), end);
    lock.unlock();
    RunBatch(batch);
    for (Pending& pending : batch) pending.done(std::move(pending.status));
    batch.clear();
    lock.lock();
  }
}

void GroupCommit::RunBatch(std::vector<Pending>& batch) {
  bool unit_failed = false;
  const Status shared =
      RunInTransaction(db_, TransactionMode::kWrite, [&](Transaction& tx) -> Status {
        unit_failed = false;
        for (Pending& pending : batch) {
          if (Status status = pending.unit(tx); !status.ok()) {
            unit_failed = true;
            return status;
          }
        }
        return OkStatus();
      });
  if (unit_failed && batch.size() > 1) {
    for (Pending& pending : batch) {
      pending.status = RunInTransaction(db_, TransactionMode::kWrite, pending.unit);
    }
    return;
  }
  for (Pending& pending : batch) pending.status = shared;
}

}  // namespace citycode::store
