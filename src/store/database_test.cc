#include "store/database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <latch>
#include <limits>
#include <stdexcept>
#include <thread>

#include "store/internal/sql.h"
#include "store/many_rows.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_databases.h"

namespace citycode::store {
namespace {

using ::citycode::testing::StatusIs;

using ::testing::HasSubstr;
using ::testing::Not;

::testing::AssertionResult IsOk(const Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.ToString();
}
template <typename T>
::testing::AssertionResult IsOk(const Result<T>& result) {
  return IsOk(result.status());
}

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(CITYCODE_CONCAT_(assert_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)  \
  auto tmp = (expr);                                \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

constexpr TransactionMode kRead = TransactionMode::kRead;
constexpr TransactionMode kWrite = TransactionMode::kWrite;

const Migration kPeople{1, "people", R"sql(
  CREATE TABLE people (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    age BIGINT CHECK (age >= 0),
    photo BLOB
  );
  CREATE TABLE pets (
    id BIGINT PRIMARY KEY,
    owner BIGINT NOT NULL REFERENCES people (id),
    name TEXT NOT NULL
  )
)sql"};
const Migration kCounters{2, "counters",
                          "CREATE TABLE counters (id BIGINT PRIMARY KEY, n BIGINT NOT NULL);"
                          "INSERT INTO counters (id, n) VALUES (1, 0)"};

class StoreTest : public testing::DatabaseTest {
 protected:
  // One statement in its own committed write transaction.
  Status Exec(std::string_view sql, std::vector<Value> params = {}) {
    return RunInTransaction(db(), kWrite,
                            [&](Transaction& tx) { return tx.Execute(sql, params).status(); });
  }
  // One query in its own read transaction.
  Result<std::vector<Row>> Read(std::string_view sql, std::vector<Value> params = {}) {
    std::vector<Row> rows;
    Status status = RunInTransaction(db(), kRead, [&](Transaction& tx) {
      CITYCODE_ASSIGN_OR_RETURN(rows, tx.Query(sql, params));
      return OkStatus();
    });
    if (!status.ok()) return status;
    return rows;
  }
  Result<std::int64_t> Count(const std::string& table) {
    CITYCODE_ASSIGN_OR_RETURN(std::vector<Row> rows, Read("SELECT COUNT(*) FROM " + table));
    return rows.at(0).Int(0);
  }
};

// --- Migrations ----------------------------------------------------------------------------

TEST_P(StoreTest, EmptyDatabaseIsAtVersionZero) {
  EXPECT_EQ(*db().SchemaVersion(), 0);
  ASSERT_TRUE(IsOk(db().Migrate({})));
  EXPECT_EQ(*db().SchemaVersion(), 0);
}

TEST_P(StoreTest, MigrationsApplyOnceAndInVersionOrder) {
  // Given out of order: step 2 only works after step 1. The ';' inside the
  // literal and the comment must not split a statement.
  const std::vector<Migration> migrations = {
      {2, "seed",
       "INSERT INTO items (id, label) VALUES (1, 'first');\n"
       "-- the next one; with a ';' in it\n"
       "INSERT INTO items (id, label) VALUES (2, 'semi;colon');"},
      {1, "items", "CREATE TABLE items (id BIGINT PRIMARY KEY, label TEXT NOT NULL)"},
  };
  ASSERT_TRUE(IsOk(db().Migrate(migrations)));
  EXPECT_EQ(*db().SchemaVersion(), 2);

  ASSERT_OK_AND_ASSIGN(auto items, Read("SELECT id, label FROM items ORDER BY id"));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].Text(1), "semi;colon");
  ASSERT_OK_AND_ASSIGN(auto applied, Read("SELECT version, name, applied_at FROM schema_migrations "
                                          "ORDER BY version"));
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0].Int(0), 1);
  EXPECT_EQ(applied[0].Text(1), "items");
  EXPECT_EQ(applied[1].Int(0), 2);
  EXPECT_EQ(applied[1].Text(1), "seed");
  EXPECT_THAT(applied[1].Text(2), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z"));

  // Again: nothing runs (the seed would fail on its primary key).
  ASSERT_TRUE(IsOk(db().Migrate(migrations)));
  EXPECT_EQ(*Count("items"), 2);
  EXPECT_EQ(*Count("schema_migrations"), 2);
}

TEST_P(StoreTest, MigrateAppliesOnlyTheNewSteps) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  EXPECT_EQ(*db().SchemaVersion(), 1);
  // kPeople's CREATE TABLE would fail if it ran twice.
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople, kCounters})));
  EXPECT_EQ(*db().SchemaVersion(), 2);
  EXPECT_EQ(*Count("counters"), 1);
}

TEST_P(StoreTest, MigrateRefusesANewerSchema) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople, kCounters})));
  EXPECT_THAT(db().Migrate(std::vector<Migration>{kPeople}),
              StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  EXPECT_EQ(*db().SchemaVersion(), 2);
}

TEST_P(StoreTest, ModulesMigrateInTheirOwnBlocks) {
  const Migration upper{kMigrationBlock + 1, "upper module", "CREATE TABLE upper (id BIGINT)"};
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{upper})));
  // The lower module's newest step is older than the upper block's, yet not "newer".
  EXPECT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople, kCounters})));
  EXPECT_TRUE(Count("counters").ok());  // the lower module's new step was applied
  EXPECT_EQ(*db().SchemaVersion(), kMigrationBlock + 1);
}

TEST_P(StoreTest, MigrateRefusesBadVersions) {
  EXPECT_THAT(db().Migrate(std::vector<Migration>{kPeople, {kMigrationBlock + 3, "x", "SELECT 1"}}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(db().Migrate(std::vector<Migration>{kPeople, {1, "again", "SELECT 1"}}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(db().Migrate(std::vector<Migration>{{0, "zero", "SELECT 1"}}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_EQ(*db().SchemaVersion(), 0);
}

TEST_P(StoreTest, FailedMigrationLeavesNoTrace) {
  const Migration broken{2, "broken",
                         "CREATE TABLE extra (id BIGINT PRIMARY KEY);"
                         "INSERT INTO no_such_table (id) VALUES (1)"};
  const Status failed = db().Migrate(std::vector<Migration>{kPeople, broken});
  // A missing table is no condition a caller can handle: internal, on both
  // backends, with the step named.
  EXPECT_THAT(failed,
              StatusIs(StatusCode::kInternal, "internal", HasSubstr("migration 2 (broken)")));
  EXPECT_EQ(*db().SchemaVersion(), 1);
  // Had `extra` survived the failed step, creating it again would fail.
  const Migration fixed{2, "fixed", "CREATE TABLE extra (id BIGINT PRIMARY KEY)"};
  EXPECT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople, fixed})));
  EXPECT_EQ(*db().SchemaVersion(), 2);
}

TEST_P(StoreTest, ConcurrentMigrateAppliesEachStepOnce) {
  // Two handles with their own connections, as two processes would have.
  ASSERT_OK_AND_ASSIGN(auto other, Database::Open(url()));
  const std::vector<Migration> migrations = {kPeople, kCounters};
  Status first, second;
  std::thread racer([&] { second = other->Migrate(migrations); });
  first = db().Migrate(migrations);
  racer.join();
  EXPECT_TRUE(IsOk(first));
  EXPECT_TRUE(IsOk(second));
  EXPECT_EQ(*Count("counters"), 1);
  EXPECT_EQ(*Count("schema_migrations"), 2);
}

// --- Transactions --------------------------------------------------------------------------

TEST_P(StoreTest, UncommittedTransactionsRollBack) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kWrite));
    ASSERT_TRUE(IsOk(tx->Execute("INSERT INTO people (id, name) VALUES (?, ?)", {1, "Ada"})));
  }  // destroyed uncommitted
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kWrite));
    ASSERT_TRUE(IsOk(tx->Execute("INSERT INTO people (id, name) VALUES (?, ?)", {2, "Bo"})));
    tx->Rollback();
    EXPECT_THAT(tx->Execute("SELECT 1"),
                StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
    EXPECT_THAT(tx->Commit(), StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  }
  EXPECT_EQ(*Count("people"), 0);
}

TEST_P(StoreTest, CommitPersistsAcrossReopen) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kWrite));
    ASSERT_TRUE(IsOk(tx->Execute("INSERT INTO people (id, name) VALUES (?, ?)", {1, "Ada"})));
    ASSERT_TRUE(IsOk(tx->Commit()));
    EXPECT_THAT(tx->Commit(), StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  }
  ASSERT_OK_AND_ASSIGN(auto reopened, Database::Open(url()));
  EXPECT_EQ(*reopened->SchemaVersion(), 1);
  ASSERT_OK_AND_ASSIGN(auto tx, reopened->Begin(kRead));
  ASSERT_OK_AND_ASSIGN(Row row, tx->QueryOne("SELECT name FROM people WHERE id = ?", {1}));
  EXPECT_EQ(row.Text(0), "Ada");
}

TEST_P(StoreTest, ReadersDoNotSeeUncommittedWrites) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  ASSERT_OK_AND_ASSIGN(auto writer, db().Begin(kWrite));
  ASSERT_TRUE(IsOk(writer->Execute("INSERT INTO people (id, name) VALUES (1, 'Ada')")));
  // A reader neither waits for the writer nor sees its row.
  EXPECT_EQ(*Count("people"), 0);
  ASSERT_TRUE(IsOk(writer->Commit()));
  EXPECT_EQ(*Count("people"), 1);
}

TEST_P(StoreTest, RunInTransactionCommitsOnSuccessAndRollsBackOnError) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  EXPECT_TRUE(IsOk(RunInTransaction(db(), kWrite, [](Transaction& tx) {
    return tx.Execute("INSERT INTO people (id, name) VALUES (?, ?)", {1, "Ada"}).status();
  })));
  const Status refused = RunInTransaction(db(), kWrite, [](Transaction& tx) {
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO people (id, name) VALUES (?, ?)", {2, "Bo"}).status());
    return PermissionDenied("changed my mind");
  });
  EXPECT_EQ(refused, PermissionDenied("changed my mind"));
  ASSERT_OK_AND_ASSIGN(auto rows, Read("SELECT id FROM people"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int(0), 1);
}

TEST_P(StoreTest, RunInTransactionRetriesAborted) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  int attempts = 0;
  EXPECT_TRUE(IsOk(RunInTransaction(db(), kWrite, [&](Transaction& tx) {
    // The first attempt's insert must be rolled back, or the second one's
    // would hit the primary key.
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO people (id, name) VALUES (?, ?)", {1, "Ada"}).status());
    return ++attempts == 1 ? Aborted("conflict") : OkStatus();
  })));
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(*Count("people"), 1);

  attempts = 0;
  EXPECT_THAT(RunInTransaction(db(), kWrite,
                               [&](Transaction&) {
                                 ++attempts;
                                 return Aborted("conflict");
                               }),
              StatusIs(StatusCode::kAborted, "aborted"));
  EXPECT_EQ(attempts, 3);
}

TEST_P(StoreTest, ConcurrentIncrementsLoseNothing) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople, kCounters})));
  constexpr int kIterations = 200;
  // Both threads start together, so their transactions overlap.
  std::latch start(2);
  // Read, then write what was read plus one: without the lock taken by the
  // first UPDATE, two threads would read the same value and lose a count.
  auto increment = [&] {
    start.arrive_and_wait();
    int failures = 0;
    for (int i = 0; i < kIterations; ++i) {
      const Status status = RunInTransaction(db(), kWrite, [](Transaction& tx) {
        CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE counters SET n = n WHERE id = 1").status());
        CITYCODE_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT n FROM counters WHERE id = 1"));
        return tx.Execute("UPDATE counters SET n = ? WHERE id = 1", {row.Int(0) + 1}).status();
      });
      if (!status.ok()) ++failures;
    }
    return failures;
  };
  int other_failures = 0;
  std::thread other([&] { other_failures = increment(); });
  const int failures = increment();
  other.join();
  EXPECT_EQ(failures + other_failures, 0);
  ASSERT_OK_AND_ASSIGN(auto rows, Read("SELECT n FROM counters WHERE id = 1"));
  EXPECT_EQ(rows.at(0).Int(0), 2 * kIterations);
}

TEST_P(StoreTest, PoolWaitTimesOut) {
  ASSERT_OK_AND_ASSIGN(
      auto small,
      Database::Open(url(), {.pool_size = 1, .busy_timeout = std::chrono::milliseconds(50)}));
  {
    ASSERT_OK_AND_ASSIGN(auto held, small->Begin(kRead));
    EXPECT_THAT(small->Begin(kRead), StatusIs(StatusCode::kUnavailable, "unavailable"));
  }
  EXPECT_TRUE(IsOk(small->Begin(kRead)));
}

TEST_P(StoreTest, SqliteWriteTransactionsTakeTheLockAtBegin) {
  if (is_postgres()) GTEST_SKIP() << "PostgreSQL locks rows, not the database";
  ASSERT_OK_AND_ASSIGN(auto other,
                       Database::Open(url(), {.busy_timeout = std::chrono::milliseconds(50)}));
  ASSERT_OK_AND_ASSIGN(auto writer, db().Begin(kWrite));
  EXPECT_THAT(other->Begin(kWrite), StatusIs(StatusCode::kAborted, "aborted"));
  EXPECT_TRUE(IsOk(other->Begin(kRead)));
}

TEST_P(StoreTest, SqliteRunsInWalModeWithForeignKeys) {
  if (is_postgres()) GTEST_SKIP() << "SQLite settings";
  ASSERT_OK_AND_ASSIGN(auto mode, Read("PRAGMA journal_mode"));
  EXPECT_EQ(mode.at(0).Text(0), "wal");
  ASSERT_OK_AND_ASSIGN(auto sync, Read("PRAGMA synchronous"));
  EXPECT_EQ(sync.at(0).Int(0), 2);  // FULL: a commit survives a power loss
  ASSERT_OK_AND_ASSIGN(auto keys, Read("PRAGMA foreign_keys"));
  EXPECT_EQ(keys.at(0).Int(0), 1);
}

// The database and its WAL files are private to the service's user.
TEST_P(StoreTest, SqliteFilesAreCreatedPrivate) {
  if (is_postgres()) GTEST_SKIP() << "SQLite files";
  testing::TempDir dir("citycode-sqlite-mode");
  const std::filesystem::path file = dir.path() / "private.db";
  ASSERT_OK_AND_ASSIGN(auto fresh, Database::Open("sqlite:" + file.string()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, fresh->Begin(kWrite));
    ASSERT_TRUE(IsOk(tx->Execute("CREATE TABLE t (x BIGINT)").status()));
    ASSERT_TRUE(IsOk(tx->Commit()));
  }
  const auto mode = [](const std::filesystem::path& path) {
    return std::filesystem::status(path).permissions() & std::filesystem::perms::all;
  };
  const auto private_file =
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::filesystem::path path = file.string() + suffix;
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(mode(path), private_file) << path;
  }
}

TEST_P(StoreTest, PostgresReconnectsALostConnection) {
  if (!is_postgres()) GTEST_SKIP() << "a PostgreSQL connection";
  // One connection, so the next Begin gets the one that was killed.
  ASSERT_OK_AND_ASSIGN(auto single, Database::Open(url(), {.pool_size = 1}));
  auto backend_pid = [&]() -> Result<std::int64_t> {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, single->Begin(kRead));
    CITYCODE_ASSIGN_OR_RETURN(Row row, tx->QueryOne("SELECT pg_backend_pid()"));
    return row.Int(0);
  };
  ASSERT_OK_AND_ASSIGN(std::int64_t before, backend_pid());
  {
    ASSERT_OK_AND_ASSIGN(auto killer, db().Begin(kRead));
    // The timeout makes it wait until the backend is gone.
    ASSERT_OK_AND_ASSIGN(
        Row killed,
        killer->QueryOne("SELECT pg_terminate_backend(CAST(? AS INTEGER), 10000)", {before}));
    EXPECT_EQ(killed.Text(0), "t");
  }
  ASSERT_OK_AND_ASSIGN(std::int64_t after, backend_pid());
  EXPECT_NE(after, before);
}

// The online paths' statements are parsed once per connection: a second
// run of a statement reuses it, and a rolled-back transaction keeps it (the
// reconnect above shows a new session preparing them again).
TEST_P(StoreTest, PostgresPreparesAStatementOncePerConnection) {
  if (!is_postgres()) GTEST_SKIP() << "PostgreSQL prepared statements";
  ASSERT_OK_AND_ASSIGN(auto single, Database::Open(url(), {.pool_size = 1}));
  const auto run = [&](const Value& value, bool commit) -> Result<std::int64_t> {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, single->Begin(kRead));
    CITYCODE_RETURN_IF_ERROR(tx->Query("SELECT ? IS NULL", {value}).status());
    CITYCODE_ASSIGN_OR_RETURN(
        Row row, tx->QueryOne("SELECT CAST(count(*) AS BIGINT) FROM pg_prepared_statements"));
    if (commit) CITYCODE_RETURN_IF_ERROR(tx->Commit());
    return row.Int(0);
  };
  ASSERT_OK_AND_ASSIGN(const std::int64_t first, run(std::int64_t{1}, true));
  EXPECT_EQ(first, 2);  // it and the count
  ASSERT_OK_AND_ASSIGN(const std::int64_t again, run(std::int64_t{2}, false));
  EXPECT_EQ(again, 2);
  ASSERT_OK_AND_ASSIGN(const std::int64_t text, run(std::string("text"), true));
  EXPECT_EQ(text, 3);  // another parameter type, another statement
  ASSERT_OK_AND_ASSIGN(const std::int64_t reused, run(std::int64_t{3}, true));
  EXPECT_EQ(reused, 3);  // the first, still prepared after the rollback
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin(kWrite));
    ASSERT_TRUE(IsOk(tx->Execute("CREATE TEMPORARY TABLE t (x BIGINT)").status()));
  }
  ASSERT_OK_AND_ASSIGN(const std::int64_t after_ddl, run(std::int64_t{4}, true));
  EXPECT_EQ(after_ddl, 3);  // DDL is not prepared
}

// A server connects its whole pool at start, so its open files do not grow
// at its first peak; a short command connects once.
TEST_P(StoreTest, PostgresConnectsTheWholePoolOnlyWhenAsked) {
  if (!is_postgres()) GTEST_SKIP() << "PostgreSQL connections";
  const auto connections_named = [&](const std::string& name) -> Result<std::int64_t> {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, db().Begin(kRead));
    CITYCODE_ASSIGN_OR_RETURN(
        Row row,
        tx->QueryOne("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", {name}));
    return row.Int(0);
  };
  const std::string name = "citycode-pool-" + std::to_string(::getpid());
  ASSERT_OK_AND_ASSIGN(auto whole, Database::Open(url() + "&application_name=" + name + "-whole",
                                                  {.pool_size = 3, .connect_whole_pool = true}));
  ASSERT_OK_AND_ASSIGN(
      auto lazy, Database::Open(url() + "&application_name=" + name + "-lazy", {.pool_size = 3}));
  ASSERT_OK_AND_ASSIGN(std::int64_t whole_count, connections_named(name + "-whole"));
  ASSERT_OK_AND_ASSIGN(std::int64_t lazy_count, connections_named(name + "-lazy"));
  EXPECT_EQ(whole_count, 3);
  EXPECT_EQ(lazy_count, 1);
}

// --- Values --------------------------------------------------------------------------------

Bytes AllByteValues() {
  Bytes bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<std::uint8_t>(i));
  return bytes;
}

TEST_P(StoreTest, EveryValueTypeRoundTrips) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{
      {1, "values", "CREATE TABLE vals (id BIGINT PRIMARY KEY, n BIGINT, t TEXT, b BLOB)"}})));
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  // bytea's hex text form starts with \x; a value that looks like it must
  // still come back as itself.
  const Bytes looks_escaped = {'\\', 'x', '0', '0', 0x00, 0xff};
  const std::vector<std::vector<Value>> cases = {
      {kMin, "", Bytes{}},
      {kMax, "北京市 – Ünïcödé ✓ 🚇", Bytes{0x00}},
      {-1, "it's \"quoted\" ? ; -- /* */ $1 \\x00", AllByteValues()},
      {0, "line\nbreak\ttab", looks_escaped},
      {nullptr, nullptr, nullptr},
  };
  ASSERT_TRUE(IsOk(RunInTransaction(db(), kWrite, [&](Transaction& tx) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      CITYCODE_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO vals (id, n, t, b) VALUES (?, ?, ?, ?)",
                     {static_cast<std::int64_t>(i), cases[i][0], cases[i][1], cases[i][2]})
              .status());
    }
    return OkStatus();
  })));

  ASSERT_OK_AND_ASSIGN(auto rows, Read("SELECT n, t, b FROM vals ORDER BY id"));
  ASSERT_EQ(rows.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (std::size_t c = 0; c < 3; ++c) {
      EXPECT_EQ(rows[i][c], cases[i][c]) << "row " << i << " column " << c;
    }
  }
  // Empty is not NULL.
  EXPECT_FALSE(rows[0].IsNull(1));
  EXPECT_EQ(rows[0].Text(1), "");
  EXPECT_FALSE(rows[0].IsNull(2));
  EXPECT_TRUE(rows[0].Blob(2).empty());
  EXPECT_EQ(rows[1].Int(0), kMax);
  EXPECT_EQ(rows[2].Blob(2), AllByteValues());
  EXPECT_TRUE(rows[4].IsNull(0));
  EXPECT_EQ(rows[4].OptionalInt(0), std::nullopt);
  EXPECT_EQ(rows[4].OptionalText(1), std::nullopt);

  // Parameters echoed straight back keep their types too.
  ASSERT_OK_AND_ASSIGN(auto echo, Read("SELECT ?, ?, ?", {kMin, "✓", AllByteValues()}));
  EXPECT_EQ(echo.at(0)[0], Value(kMin));
  EXPECT_EQ(echo.at(0)[1], Value("✓"));
  EXPECT_EQ(echo.at(0)[2], Value(AllByteValues()));
}

TEST_P(StoreTest, IntegerResultsAreIntegers) {
  ASSERT_OK_AND_ASSIGN(
      auto rows,
      Read("SELECT CAST(-7 AS INTEGER), CAST(300 AS SMALLINT), CAST(? AS BIGINT), COUNT(*)",
           {"12"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int(0), -7);
  EXPECT_EQ(rows[0].Int(1), 300);
  EXPECT_EQ(rows[0].Int(2), 12);
  EXPECT_EQ(rows[0].Int(3), 1);
}

TEST_P(StoreTest, QuestionMarksInLiteralsAndCommentsAreNotPlaceholders) {
  ASSERT_OK_AND_ASSIGN(auto rows, Read("SELECT '?', ? /* ? */, 'it''s ?', \"?\".x -- ?\n"
                                       "FROM (SELECT 'BLOB' AS x) AS \"?\"",
                                       {42}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0), "?");
  EXPECT_EQ(rows[0].Int(1), 42);
  EXPECT_EQ(rows[0].Text(2), "it's ?");
  EXPECT_EQ(rows[0].Text(3), "BLOB");  // the type word is only rewritten outside literals

  ASSERT_OK_AND_ASSIGN(auto cast, Read("SELECT CAST(? AS BLOB)", {Bytes{1, 2, 3}}));
  EXPECT_EQ(cast.at(0).Blob(0), (Bytes{1, 2, 3}));
}

TEST_P(StoreTest, ExecuteCountsChangedRows) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kWrite));
  EXPECT_EQ(*tx->Execute("INSERT INTO people (id, name, age) VALUES (1, 'a', 10), (2, 'b', 20), "
                         "(3, 'c', 30)"),
            3);
  EXPECT_EQ(*tx->Execute("UPDATE people SET age = age + 1 WHERE age > ?", {15}), 2);
  EXPECT_EQ(*tx->Execute("SELECT * FROM people"), 0);
  EXPECT_EQ(*tx->Execute("INSERT INTO people (id, name) VALUES (1, 'a') ON CONFLICT DO NOTHING"),
            0);
  EXPECT_EQ(*tx->Execute("CREATE TABLE scratch (id BIGINT)"), 0);
  ASSERT_OK_AND_ASSIGN(auto returned,
                       tx->Query("DELETE FROM people WHERE id = ? RETURNING name", {3}));
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].Text(0), "c");
}

// 237 rows: two statements of 100, then 32, 4 and 1.
TEST_P(StoreTest, InsertRowsWritesEveryRowInFewStatements) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  std::vector<Value> values;
  for (std::int64_t id = 0; id < 237; ++id) {
    AppendRow(values, Value(id), Value("p" + std::to_string(id)), Value(id % 90));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kWrite));
  const std::string_view head = "INSERT INTO people (id, name, age) VALUES";
  ASSERT_OK_AND_ASSIGN(std::int64_t inserted, InsertRows(*tx, head, 3, values));
  EXPECT_EQ(inserted, 237);
  // Again, with a tail: every row a conflict, none changed.
  ASSERT_OK_AND_ASSIGN(std::int64_t again,
                       InsertRows(*tx, head, 3, values, " ON CONFLICT (id) DO NOTHING"));
  EXPECT_EQ(again, 0);
  EXPECT_THAT(InsertRows(*tx, head, 3, std::span(values).first(5)),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  // PostgreSQL's COUNT and SUM are bigint and numeric.
  ASSERT_OK_AND_ASSIGN(Row sums, tx->QueryOne("SELECT CAST(COUNT(*) AS BIGINT), CAST(SUM(id) AS "
                                              "BIGINT), CAST(SUM(age) AS BIGINT) FROM people "
                                              "WHERE name = 'p' || CAST(id AS TEXT)"));
  EXPECT_EQ(sums.Int(0), 237);
  EXPECT_EQ(sums.Int(1), 236 * 237 / 2);
  std::int64_t ages = 0;
  for (std::int64_t id = 0; id < 237; ++id) ages += id % 90;
  EXPECT_EQ(sums.Int(2), ages);
}

TEST_P(StoreTest, QueryOneAndQueryOptional) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  ASSERT_TRUE(IsOk(Exec("INSERT INTO people (id, name) VALUES (1, 'a'), (2, 'b')")));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kRead));
  EXPECT_THAT(tx->QueryOne("SELECT id FROM people WHERE id = ?", {9}),
              StatusIs(StatusCode::kNotFound, "not_found"));
  ASSERT_OK_AND_ASSIGN(auto none, tx->QueryOptional("SELECT id FROM people WHERE id = ?", {9}));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(auto one, tx->QueryOptional("SELECT name FROM people WHERE id = ?", {2}));
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->Text(0), "b");
  EXPECT_THAT(tx->QueryOne("SELECT id FROM people"), StatusIs(StatusCode::kInternal, "internal"));
}

// --- Errors --------------------------------------------------------------------------------

TEST_P(StoreTest, ConstraintViolationsHaveTheirCodes) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  const std::string secret = "Personal Name 4711";
  ASSERT_TRUE(IsOk(Exec("INSERT INTO people (id, name) VALUES (?, ?)", {1, secret})));

  struct Case {
    const char* what;
    std::string sql;
    std::vector<Value> params;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {"primary key",
       "INSERT INTO people (id, name) VALUES (?, ?)",
       {1, "Other"},
       StatusCode::kAlreadyExists},
      {"unique",
       "INSERT INTO people (id, name) VALUES (?, ?)",
       {2, secret},
       StatusCode::kAlreadyExists},
      {"foreign key",
       "INSERT INTO pets (id, owner, name) VALUES (?, ?, ?)",
       {1, 99, "Rex"},
       StatusCode::kFailedPrecondition},
      {"check",
       "INSERT INTO people (id, name, age) VALUES (?, ?, ?)",
       {3, "Young", -1},
       StatusCode::kFailedPrecondition},
      {"not null",
       "INSERT INTO people (id, name) VALUES (?, ?)",
       {4, nullptr},
       StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kWrite));
    const Status status = tx->Execute(c.sql, c.params).status();
    EXPECT_EQ(status.code(), c.code) << status.ToString();
    // Messages go to logs: no parameter values, one line.
    EXPECT_THAT(status.message(), Not(HasSubstr(secret)));
    EXPECT_THAT(status.message(), Not(HasSubstr("\n")));
  }
  EXPECT_EQ(*Count("people"), 1);
  EXPECT_EQ(*Count("pets"), 0);
}

TEST_P(StoreTest, AFailedStatementEndsTheTransaction) {
  ASSERT_TRUE(IsOk(db().Migrate(std::vector<Migration>{kPeople})));
  ASSERT_TRUE(IsOk(Exec("INSERT INTO people (id, name) VALUES (1, 'a')")));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kWrite));
    ASSERT_TRUE(IsOk(tx->Execute("INSERT INTO people (id, name) VALUES (2, 'b')")));
    EXPECT_THAT(tx->Execute("INSERT INTO people (id, name) VALUES (1, 'a')"),
                StatusIs(StatusCode::kAlreadyExists, "already_exists"));
    // PostgreSQL would refuse anything but a rollback now; SQLite is made to
    // behave the same, so code tested on one is right on the other.
    EXPECT_THAT(tx->Query("SELECT 1"),
                StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
    EXPECT_THAT(tx->Commit(), StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  }
  EXPECT_EQ(*Count("people"), 1);
  {
    // The same when it is the transaction's first statement.
    ASSERT_OK_AND_ASSIGN(auto first, db().Begin(kWrite));
    EXPECT_THAT(first->Execute("INSERT INTO people (id, name) VALUES (1, 'a')"),
                StatusIs(StatusCode::kAlreadyExists, "already_exists"));
    EXPECT_THAT(first->Commit(),
                StatusIs(StatusCode::kFailedPrecondition, "failed_precondition"));
  }
  {
    // And a transaction that runs nothing commits.
    ASSERT_OK_AND_ASSIGN(auto nothing, db().Begin(kWrite));
    EXPECT_TRUE(IsOk(nothing->Commit()));
  }
  EXPECT_EQ(*Count("people"), 1);
}

TEST_P(StoreTest, MisusedStatementsAreInvalidArguments) {
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kRead));
  EXPECT_THAT(tx->Query("SELECT 1; SELECT 2"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  ASSERT_OK_AND_ASSIGN(auto tx2, db().Begin(kRead));
  EXPECT_THAT(tx2->Query("SELECT ?, ?", {1}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  ASSERT_OK_AND_ASSIGN(auto tx3, db().Begin(kRead));
  EXPECT_TRUE(IsOk(tx3->Query("SELECT 1; -- trailing comment")));
}

TEST_P(StoreTest, ErrorsAreOneLineAndNameTheStatement) {
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(kRead));
  const Status status =
      tx->Query("SELECT nothing\n  FROM nowhere\n WHERE x = ?", {"hidden"}).status();
  EXPECT_THAT(status, StatusIs(StatusCode::kInternal, "internal"));
  EXPECT_THAT(status.message(), HasSubstr("SELECT nothing FROM nowhere WHERE x = ?"));
  EXPECT_THAT(status.message(), Not(HasSubstr("\n")));
  EXPECT_THAT(status.message(), Not(HasSubstr("hidden")));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

// --- Without a database --------------------------------------------------------------------

TEST(RowTest, TypedAccessChecksTheType) {
  const Row row({std::int64_t{7}, std::string("seven"), Bytes{7}, nullptr});
  EXPECT_EQ(row.size(), 4u);
  EXPECT_EQ(row.Int(0), 7);
  EXPECT_EQ(row.Text(1), "seven");
  EXPECT_EQ(row.Blob(2), Bytes{7});
  EXPECT_TRUE(row.IsNull(3));
  EXPECT_EQ(row.OptionalInt(0), 7);
  EXPECT_EQ(row.OptionalText(3), std::nullopt);
  EXPECT_THROW(row.Int(1), std::logic_error);
  EXPECT_THROW(row.Text(0), std::logic_error);
  EXPECT_THROW(row.Blob(3), std::logic_error);
  EXPECT_THROW(row.OptionalInt(1), std::logic_error);
  EXPECT_THROW(row.IsNull(4), std::out_of_range);
}

TEST(OpenTest, RefusesUnknownAndUnusableUrls) {
  EXPECT_THAT(Database::Open("mysql://db/x"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(Database::Open("sqlite:"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(Database::Open("sqlite::memory:"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(Database::Open("sqlite:/nonexistent-dir/citycode/x.db"),
              StatusIs(StatusCode::kUnavailable, "unavailable"));
  EXPECT_THAT(Database::Open("postgresql://db/x?no_such_option=1"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  // Nothing listens on port 1.
  const auto unreachable =
      Database::Open("postgresql://u:hunter2x@127.0.0.1:1/x?connect_timeout=5");
  EXPECT_THAT(unreachable, StatusIs(StatusCode::kUnavailable, "unavailable"));
  EXPECT_THAT(unreachable.status().message(), Not(HasSubstr("\n")));
  EXPECT_THAT(unreachable.status().message(), Not(HasSubstr("hunter2x")));
}

TEST(OpenTest, ANewSqliteFileIsTheOwnersOnly) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("citycode-mode-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto db = Database::Open("sqlite:" + (dir / "x.db").string());
    ASSERT_TRUE(IsOk(db));
    ASSERT_TRUE(IsOk((*db)->Migrate(std::vector<Migration>{{1, "t", "CREATE TABLE t (x TEXT)"}})));
  }
  for (const char* name : {"x.db", "x.db-wal", "x.db-shm"}) {
    if (!std::filesystem::exists(dir / name)) continue;
    EXPECT_EQ(std::filesystem::status(dir / name).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << name;
  }
  std::filesystem::remove_all(dir);
}

// The descriptors of this process open on `file`.
int OpenDescriptorsOf(const std::filesystem::path& file) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ignored;
    if (std::filesystem::read_symlink(entry.path(), ignored) == file) ++count;
  }
  return count;
}

TEST(OpenTest, SqliteOpensEveryConnectionOfItsPoolAtOnce) {
  const testing::TempDir dir("citycode-pool");
  const std::filesystem::path file = dir.path() / "x.db";
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open("sqlite:" + file.string(), {.pool_size = 4}));
  EXPECT_EQ(OpenDescriptorsOf(file), 4);  // the writer and three readers
}

TEST(SqlTextTest, SplitsOnlyOnTopLevelSemicolons) {
  EXPECT_THAT(internal::SplitStatements("CREATE TABLE a (x TEXT DEFAULT ';');\n"
                                        "-- b; c\n"
                                        "/* d; /* nested; */ e; */\n"
                                        "INSERT INTO \"we;ird\" VALUES ('it''s; fine');;\n"
                                        "-- only a comment;\n"),
              ::testing::ElementsAre("CREATE TABLE a (x TEXT DEFAULT ';')",
                                     "-- b; c\n/* d; /* nested; */ e; */\n"
                                     "INSERT INTO \"we;ird\" VALUES ('it''s; fine')"));
  EXPECT_THAT(internal::SplitStatements(" ; -- nothing\n"), ::testing::IsEmpty());
}

TEST(SqlTextTest, RewritesPlaceholdersAndBlobForPostgres) {
  const internal::PostgresSql sql = internal::RewriteForPostgres(
      "CREATE TABLE t (b BLOB, blobby blob, c TEXT DEFAULT 'BLOB?') -- ? BLOB\n"
      "/* ? */ SELECT ?, E'\\'?', $tag$ ? $tag$, \"?\", x FROM t WHERE y = ?;");
  EXPECT_EQ(sql.text,
            "CREATE TABLE t (b BYTEA, blobby BYTEA, c TEXT DEFAULT 'BLOB?') -- ? BLOB\n"
            "/* ? */ SELECT $1, E'\\'?', $tag$ ? $tag$, \"?\", x FROM t WHERE y = $2;");
  EXPECT_EQ(sql.placeholders, 2);
  EXPECT_FALSE(sql.multiple);
  EXPECT_FALSE(sql.reads_or_writes_rows);  // CREATE first
  EXPECT_TRUE(internal::RewriteForPostgres("SELECT 1; SELECT 2").multiple);
  for (const char* rows : {"SELECT 1", " (select 1)", "INSERT INTO t VALUES (?)",
                           "update t SET x = 1", "DELETE FROM t", "WITH a AS (SELECT 1) SELECT 1"}) {
    EXPECT_TRUE(internal::RewriteForPostgres(rows).reads_or_writes_rows) << rows;
  }
  for (const char* other : {"CREATE INDEX i ON t (x)", "SELECTED", "ALTER TABLE t ADD s TEXT",
                            "'SELECT'", "PRAGMA x"}) {
    EXPECT_FALSE(internal::RewriteForPostgres(other).reads_or_writes_rows) << other;
  }
  EXPECT_EQ(
      internal::RewriteForPostgres("CREATE TABLE t (a TEXT PRIMARY KEY) without\n  ROWID").text,
      "CREATE TABLE t (a TEXT PRIMARY KEY) ");
  EXPECT_EQ(internal::RewriteForPostgres("SELECT without_rowid, 'WITHOUT ROWID' FROM without").text,
            "SELECT without_rowid, 'WITHOUT ROWID' FROM without");
}

TEST(RedactUrlTest, HidesPasswords) {
  EXPECT_EQ(RedactUrl("postgresql://app:s3cret@db.example:5432/citycode"),
            "postgresql://app:***@db.example:5432/citycode");
  EXPECT_EQ(RedactUrl("postgres://app:p@ss@db/citycode?sslmode=require"),
            "postgres://app:***@db/citycode?sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://db/citycode?user=app&password=s3cret&sslmode=require"),
            "postgresql://db/citycode?user=app&password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://app@db/citycode"), "postgresql://app@db/citycode");
  EXPECT_EQ(RedactUrl("sqlite:/var/lib/citycode/citycode.db"),
            "sqlite:/var/lib/citycode/citycode.db");
}

}  // namespace
}  // namespace citycode::store
