// A fresh, empty database per test, on either backend, so one storage test
// body runs on SQLite and PostgreSQL alike:
//
//   class ThingTest : public testing::DatabaseTest {};
//   TEST_P(ThingTest, Works) { … db() … }
//   INSTANTIATE_TEST_SUITE_P(Backends, ThingTest,
//                            ::testing::ValuesIn(testing::DatabaseBackends()),
//                            testing::BackendTestName);
//
// PostgreSQL comes from CITYCODE_TEST_PG_DSN (a URL to a database the tests
// may create schemas in; scripts/test starts a throwaway server and sets
// it). Without it the PostgreSQL instances skip, unless CITYCODE_REQUIRE_PG=1
// (scripts/test sets that too), when they fail.
#ifndef CITYCODE_TESTS_SUPPORT_TEST_DATABASES_H_
#define CITYCODE_TESTS_SUPPORT_TEST_DATABASES_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "tests/support/temp_dir.h"

namespace citycode::testing {

inline constexpr std::string_view kSqliteBackend = "sqlite";
inline constexpr std::string_view kPostgresBackend = "postgresql";

// The backend names to parameterize storage tests over.
inline std::vector<std::string> DatabaseBackends() {
  return {std::string(kSqliteBackend), std::string(kPostgresBackend)};
}

// For INSTANTIATE_TEST_SUITE_P: "Backends/ThingTest.Works/sqlite".
inline std::string BackendTestName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// One empty database for the running test: for "sqlite" a file in a fresh
// temporary directory, for "postgresql" a fresh schema (dropped with all it
// holds when this is destroyed) that url() selects through search_path.
// Create it inside a test (it names its directory after the test).
class TestDatabase {
 public:
  explicit TestDatabase(std::string_view backend, const store::DatabaseOptions& options = {}) {
    if (backend == kSqliteBackend) {
      temp_dir_.emplace("citycode-store");
      url_ = "sqlite:" + (temp_dir_->path() / "test.db").string();
    } else if (backend == kPostgresBackend) {
      if (!SetUpPostgresSchema()) return;
    } else {
      ADD_FAILURE() << "unknown database backend " << backend;
      return;
    }
    auto opened = store::Database::Open(url_, options);
    if (!opened.ok()) {
      ADD_FAILURE() << "cannot open " << store::RedactUrl(url_) << ": "
                    << opened.status().ToString();
      return;
    }
    db_ = std::move(*opened);
  }

  ~TestDatabase() {
    db_.reset();  // its connections first: they would keep the schema busy
    if (admin_ == nullptr) return;
    Status dropped = store::RunInTransaction(
        *admin_, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
          return tx.Execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE").status();
        });
    EXPECT_TRUE(dropped.ok()) << dropped.ToString();
  }

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // False when there is no database: then the test should
  // GTEST_SKIP() << skip_reason(), or a failure has been recorded already.
  bool ok() const { return db_ != nullptr; }
  const std::string& skip_reason() const { return skip_reason_; }

  // REQUIRES: ok().
  store::Database& db() { return *db_; }
  // Opens the same database again, e.g. from a child process.
  const std::string& url() const { return url_; }

 private:
  bool SetUpPostgresSchema() {
    const char* dsn = std::getenv("CITYCODE_TEST_PG_DSN");
    if (dsn == nullptr || *dsn == '\0') {
      const char* require = std::getenv("CITYCODE_REQUIRE_PG");
      if (require != nullptr && std::string_view(require) == "1") {
        ADD_FAILURE() << "CITYCODE_REQUIRE_PG=1 but CITYCODE_TEST_PG_DSN is not set";
      } else {
        skip_reason_ = "CITYCODE_TEST_PG_DSN is not set (scripts/test sets it)";
      }
      return false;
    }
    auto admin = store::Database::Open(dsn, {.pool_size = 1});
    if (!admin.ok()) {
      ADD_FAILURE() << "CITYCODE_TEST_PG_DSN: " << admin.status().ToString();
      return false;
    }
    // Random, so parallel test processes on one server never collide.
    std::random_device random;
    std::uniform_int_distribution<std::uint64_t> digits;
    schema_ = "citycode_test_" + std::to_string(digits(random));
    Status created = store::RunInTransaction(
        **admin, store::TransactionMode::kWrite,
        [&](store::Transaction& tx) { return tx.Execute("CREATE SCHEMA " + schema_).status(); });
    if (!created.ok()) {
      ADD_FAILURE() << "cannot create schema " << schema_ << ": " << created.ToString();
      return false;
    }
    admin_ = std::move(*admin);
    const std::string base(dsn);
    url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema_;
    return true;
  }

  std::optional<TempDir> temp_dir_;
  std::unique_ptr<store::Database> admin_;  // PostgreSQL: creates and drops the schema
  std::string schema_;
  std::string url_;
  std::string skip_reason_;
  std::unique_ptr<store::Database> db_;
};

// A fixture parameterized by backend name, with a fresh database per test.
class DatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = std::make_unique<TestDatabase>(GetParam());
    if (!test_db_->ok() && !HasFailure()) GTEST_SKIP() << test_db_->skip_reason();
    ASSERT_TRUE(test_db_->ok()) << "no test database (see the failure above)";
  }

  store::Database& db() { return test_db_->db(); }
  const std::string& url() const { return test_db_->url(); }
  bool is_postgres() const { return GetParam() == kPostgresBackend; }

  // The integer in the first column of the one row `sql` returns; a test
  // failure and -1 if there is none.
  std::int64_t QueryInt(const std::string& sql) {
    auto tx = db().Begin(store::TransactionMode::kRead);
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    if (!tx.ok()) return -1;
    auto row = (*tx)->QueryOne(sql);
    EXPECT_TRUE(row.ok()) << sql << ": " << row.status().ToString();
    return row.ok() ? row->Int(0) : -1;
  }

 private:
  std::unique_ptr<TestDatabase> test_db_;
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_TEST_DATABASES_H_
