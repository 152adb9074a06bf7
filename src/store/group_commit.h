// Group commit: small write units from many threads share transactions, so
// requests that arrive together pay for one commit (one fsync) between
// them, and each is still answered only after the commit that holds it.
//
// A caller's unit waits in a queue; whichever waiting caller finds no
// transaction being written takes up to max_batch queued units (its own
// among the first), runs them one after the other in one write transaction
// and commits; the others wait for that commit. A unit that fails rolls the
// shared transaction back, and its batch runs again one unit per
// transaction, so one unit's failure is no other's; a failed commit fails
// every unit of its batch, none of whose writes are then stored.
//
// A unit may run more than once (RunInTransaction retries an aborted
// transaction; a batch mate's failure re-runs it alone): like the work of
// RunInTransaction, it must produce its result afresh each time.
//
// Thread safety: Run may be called from any number of threads at once.
#ifndef CITYCODE_STORE_GROUP_COMMIT_H_
#define CITYCODE_STORE_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "common/status.h"
#include "store/database.h"

namespace citycode::store {

class GroupCommit {
 public:
  using Unit = std::function<Status(Transaction&)>;

  // `db` must outlive this.
  explicit GroupCommit(Database& db, std::size_t max_batch = 64) : db_(db), max_batch_(max_batch) {}

  // Runs `unit` in a shared write transaction; returns its Status once that
  // transaction has committed, or the error that kept it from committing.
  Status Run(const Unit& unit);

  // Units queued for the next transaction (tests, metrics).
  std::size_t Waiting() const;

 private:
  struct Pending {
    const Unit* unit;
    Status status;
    bool done = false;
  };
  void RunBatch(const std::deque<Pending*>& batch);

  Database& db_;
  const std::size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::deque<Pending*> queue_;  // guarded by mu_
  bool writing_ = false;        // guarded by mu_: a batch is being written
};

}  // namespace citycode::store

#endif  // CITYCODE_STORE_GROUP_COMMIT_H_
