// The failure-injecting wrapper that the use cases' fault tests rely on: it
// must fail exactly the operation it was told to, and a failed commit must
// leave nothing behind.
#include "tests/support/faulty_database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "store/database.h"
#include "tests/support/notes_test.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::testing {
namespace {

using store::TransactionMode;

class FaultyDatabaseTest : public NotesTest {
 protected:
  // Inserts notes `first` and `first + 1` in one transaction of `faulty`.
  Status InsertTwo(std::int64_t first) {
    return store::RunInTransaction(*faulty_, TransactionMode::kWrite, [&](store::Transaction& tx) {
      CITYCODE_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO notes (id) VALUES (?)", {store::Int(first)}).status());
      return tx.Execute("INSERT INTO notes (id) VALUES (?)", {store::Int(first + 1)}).status();
    });
  }
};

TEST_P(FaultyDatabaseTest, UnarmedItPassesEverythingThrough) {
  EXPECT_EQ(faulty_->backend(), db().backend());
  EXPECT_THAT(InsertTwo(1), IsOk());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), 2);
  EXPECT_EQ(faulty_->count(FaultPoint::kBegin), 1);
  EXPECT_EQ(faulty_->count(FaultPoint::kStatement), 2);
  EXPECT_EQ(faulty_->count(FaultPoint::kCommit), 1);
  EXPECT_EQ(faulty_->fired(), 0);
}

TEST_P(FaultyDatabaseTest, FailsOnlyTheNthStatementCountedAcrossTransactions) {
  ASSERT_THAT(InsertTwo(1), IsOk());
  faulty_->Arm({.point = FaultPoint::kStatement, .nth = 3, .error = Lost()});
  EXPECT_THAT(InsertTwo(10), IsOk());  // statements 1 and 2
  EXPECT_THAT(InsertTwo(20),
              StatusIs(StatusCode::kUnavailable, "unavailable", ::testing::HasSubstr("injected")));
  EXPECT_EQ(faulty_->fired(), 1);
  // The transaction whose first statement failed was rolled back whole.
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), 4);
  EXPECT_THAT(InsertTwo(20), IsOk());  // once only
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), 6);
}

TEST_P(FaultyDatabaseTest, AFailedCommitLeavesNothingBehind) {
  faulty_->Arm({.point = FaultPoint::kCommit, .nth = 1, .error = Lost()});
  EXPECT_THAT(InsertTwo(1), StatusIs(StatusCode::kUnavailable, "unavailable"));
  EXPECT_EQ(faulty_->count(FaultPoint::kStatement), 2) << "both statements ran";
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), 0);
}

TEST_P(FaultyDatabaseTest, BusyIsRetriedByRunInTransactionUnlessItStays) {
  faulty_->Arm({.point = FaultPoint::kCommit, .nth = 1, .error = Busy()});
  EXPECT_THAT(InsertTwo(1), IsOk());
  EXPECT_EQ(faulty_->count(FaultPoint::kBegin), 2) << "one retry";
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), 2);

  faulty_->Arm({.point = FaultPoint::kBegin, .nth = 1, .error = Busy(), .sticky = true});
  EXPECT_THAT(InsertTwo(10), StatusIs(StatusCode::kAborted, "aborted"));
  EXPECT_EQ(faulty_->fired(), 3) << "RunInTransaction tries three times";
  faulty_->Disarm();
  EXPECT_THAT(InsertTwo(10), IsOk());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM notes"), 4);
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultyDatabaseTest, ::testing::ValuesIn(DatabaseBackends()),
                         BackendTestName);

}  // namespace
}  // namespace citycode::testing
