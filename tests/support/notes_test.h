// A fixture for the store's tests of transactions and commits, on both
// backends: one table, notes (id BIGINT PRIMARY KEY), and faulty_, a
// FaultyDatabase over the test's database to inject failures with.
#ifndef CITYCODE_TESTS_SUPPORT_NOTES_TEST_H_
#define CITYCODE_TESTS_SUPPORT_NOTES_TEST_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "store/database.h"
#include "tests/support/faulty_database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::testing {

class NotesTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_THAT(db().Migrate(std::vector<store::Migration>{
                    {1, "notes", "CREATE TABLE notes (id BIGINT PRIMARY KEY)"}}),
                IsOk());
    faulty_ = std::make_unique<FaultyDatabase>(db());
  }

  std::unique_ptr<FaultyDatabase> faulty_;
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_NOTES_TEST_H_
