#include "store/group_commit.h"

#include <algorithm>

namespace citycode::store {

Status GroupCommit::Run(const Unit& unit) {
  Pending me{.unit = &unit};
  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (writing_) {
      done_.wait(lock);
      continue;
    }
    writing_ = true;
    const auto end =
        queue_.begin() + static_cast<std::ptrdiff_t>(std::min(max_batch_, queue_.size()));
    std::deque<Pending*> batch(queue_.begin(), end);
    queue_.erase(queue_.begin(), end);
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    for (Pending* pending : batch) pending->done = true;
    writing_ = false;
    done_.notify_all();
  }
  return me.status;
}

std::size_t GroupCommit::Waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommit::RunBatch(const std::deque<Pending*>& batch) {
  bool unit_failed = false;
  const Status shared =
      RunInTransaction(db_, TransactionMode::kWrite, [&](Transaction& tx) -> Status {
        unit_failed = false;
        for (Pending* pending : batch) {
          if (Status status = (*pending->unit)(tx); !status.ok()) {
            unit_failed = true;
            return status;
          }
        }
        return OkStatus();
      });
  if (unit_failed && batch.size() > 1) {
    for (Pending* pending : batch) {
      pending->status = RunInTransaction(db_, TransactionMode::kWrite, *pending->unit);
    }
    return;
  }
  for (Pending* pending : batch) pending->status = shared;
}

}  // namespace citycode::store
