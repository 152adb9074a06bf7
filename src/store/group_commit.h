// Group commit: small write units from many threads share transactions, so
// requests that arrive together pay for one commit (one fsync) between
// them, and each is still answered only after the commit that holds it.
//
// Units wait in a queue; a committing thread takes up to max_batch of them
// at a time, runs them one after the other in one write transaction and
// commits, then tells each unit's caller. SQLite has one writer at a time,
// so one committing thread; PostgreSQL takes several transactions at once,
// and several threads keep its round trips and fsyncs overlapping.
//
// A unit that fails rolls the shared transaction back, and its batch runs
// again one unit per transaction, so one unit's failure is no other's; a
// failed commit fails every unit of its batch, none of whose writes are
// then stored.
//
// A caller either waits (Run) or goes on and is called back (Submit): the
// server's online verification submits and answers from the callback, so
// no thread of its own waits for an fsync.
//
// A unit may run more than once (RunInTransaction retries an aborted
// transaction; a batch mate's failure re-runs it alone): like the work of
// RunInTransaction, it must produce its result afresh each time.
//
// Thread safety: Submit and Run may be called from any number of threads at
// once; Run never from a Done callback (the committing thread would wait
// for itself).
#ifndef CITYCODE_STORE_GROUP_COMMIT_H_
#define CITYCODE_STORE_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace citycode::store {

class GroupCommit {
 public:
  using Unit = std::function<Status(Transaction&)>;
  // Called on the committing thread with the unit's Status once its
  // transaction has committed, or with the error that kept it from
  // committing. It must be short: the next batch waits for it.
  using Done = std::function<void(Status)>;

  // Starts `committers` committing threads. `db` must outlive this.
  explicit GroupCommit(Database& db, int committers = 1, std::size_t max_batch = 64);
  // Commits the units still queued, then stops the threads.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues `unit`; `done` learns how it ended. What the unit refers to must
  // live until then.
  void Submit(Unit unit, Done done);
  // Submit, and wait for its Status.
  Status Run(const Unit& unit);

  // Units queued for the next transaction (tests, metrics).
  std::size_t Waiting() const;

 private:
  struct Pending {
    Unit unit;
    Done done;
    Status status;
  };
  void CommitUntilStopped();
  void RunBatch(std::vector<Pending>& batch);

  Database& db_;
  const std::size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable queued_;
  std::deque<Pending> queue_;            // guarded by mu_
  bool stopping_ = false;                // guarded by mu_
  std::vector<std::thread> committers_;  // last: start once the members above exist
};

}  // namespace citycode::store

#endif  // CITYCODE_STORE_GROUP_COMMIT_H_
