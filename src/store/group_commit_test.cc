// Group commit on both backends: units of many threads share one
// transaction, each caller returns only after the commit that holds its
// unit, a failed commit fails its whole batch and stores none of it, and a
// unit's own failure is no batch mate's.
#include "store/group_commit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/faulty_database.h"
#include "tests/support/notes_test.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::testing {
namespace {

constexpr int kFollowers = 6;

class GroupCommitTest : public NotesTest {
 protected:
  void SetUp() override {
    NotesTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    commits_ = std::make_unique<store::GroupCommit>(*faulty_);
  }

  static store::GroupCommit::Unit Insert(std::int64_t id) {
    return [id](store::Transaction& tx) {
      return tx.Execute("INSERT INTO notes (id) VALUES (?)", {store::Int(id)}).status();
    };
  }

  // Note 1 is written alone while kFollowers other threads queue their
  // units (note 10 + i, or `follower(i)`), which then go in one batch.
  // Returns every caller's status: note 1's first.
  std::vector<Status> OneThenABatch(std::function<store::GroupCommit::Unit(int)> follower = {}) {
    std::vector<Status> statuses(kFollowers + 1);
    std::atomic<bool> leading{false};
    std::vector<std::thread> threads;
    std::thread first([&] {
      statuses[0] = commits_->Run([&](store::Transaction& tx) {
        leading = true;
        while (commits_->Waiting() < kFollowers) std::this_thread::yield();
        return Insert(1)(tx);
      });
    });
    while (!leading) std::this_thread::yield();
    for (int i = 0; i < kFollowers; ++i) {
      threads.emplace_back(
          [&, i] { statuses[i + 1] = commits_->Run(follower ? follower(i) : Insert(10 + i)); });
    }
    first.join();
    for (std::thread& t : threads) t.join();
    return statuses;
  }

  std::unique_ptr<store::GroupCommit> commits_;
};

TEST_P(GroupCommitTest, UnitsThatArriveTogetherShareOneCommit) {
  const std::vector<Status> statuses = OneThenABatch();
  for (const Status& status : statuses) EXPECT_THAT(status, IsOk());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), kFollowers + 1);
  EXPECT_EQ(faulty_->count(FaultPoint::kCommit), 2) << "note 1's, then the batch's";
}

// The batch's commit fails: every unit of it is refused and none is stored;
// the unit committed before is kept.
TEST_P(GroupCommitTest, AFailedCommitFailsItsWholeBatchAndStoresNone) {
  faulty_->Arm({.point = FaultPoint::kCommit, .nth = 2, .error = Lost()});
  const std::vector<Status> statuses = OneThenABatch();
  EXPECT_THAT(statuses[0], IsOk());
  for (int i = 1; i <= kFollowers; ++i) {
    EXPECT_THAT(statuses[i], StatusIs(StatusCode::kUnavailable, "unavailable")) << i;
  }
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), 1);
  EXPECT_EQ(QueryInt("SELECT MAX(id) FROM notes"), 1);
}

// One unit of the batch fails (its note is already there): it gets its
// error, the others theirs — stored.
TEST_P(GroupCommitTest, AUnitsFailureIsNoBatchMates) {
  const std::vector<Status> statuses = OneThenABatch([](int i) {
    return i == 2 ? Insert(1) : Insert(10 + i);  // note 1 is the leader's
  });
  for (int i = 0; i <= kFollowers; ++i) {
    if (i == 3) {
      EXPECT_THAT(statuses[i], StatusIs(StatusCode::kAlreadyExists, "already_exists")) << i;
    } else {
      EXPECT_THAT(statuses[i], IsOk()) << i;
    }
  }
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), kFollowers);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes WHERE id = 12"), 0);
}

// On PostgreSQL several committing threads keep transactions overlapping:
// three units, each in its own batch, are all running at once (each waits
// for the other two before it writes). One committing thread would run them
// one after the other, and the first would wait in vain.
TEST_P(GroupCommitTest, SeveralCommittersOverlapTheirTransactions) {
  if (db().backend() == store::Backend::kSqlite) GTEST_SKIP() << "one writer at a time";
  constexpr int kUnits = 3;
  store::GroupCommit overlapping(*faulty_, kUnits, /*max_batch=*/1);
  std::mutex mu;
  std::condition_variable all_running;
  int running = 0;
  std::vector<std::thread> threads;
  std::vector<Status> statuses(kUnits);
  for (int i = 0; i < kUnits; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = overlapping.Run([&, i](store::Transaction& tx) -> Status {
        std::unique_lock lock(mu);
        ++running;
        all_running.notify_all();
        // A bound, not a synchronisation: without overlap it fails the test
        // instead of hanging it.
        if (!all_running.wait_for(lock, std::chrono::seconds(30),
                                  [&] { return running >= kUnits; })) {
          return DeadlineExceeded("the units did not run at once");
        }
        lock.unlock();
        return Insert(100 + i)(tx);
      });
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& status : statuses) EXPECT_THAT(status, IsOk());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), kUnits);
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupCommitTest, ::testing::ValuesIn(DatabaseBackends()),
                         BackendTestName);

}  // namespace
}  // namespace citycode::testing
