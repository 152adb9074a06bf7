#include "store/internal/sqlite.h"

#include <sqlite3.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/internal/pool.h"
#include "store/internal/sql.h"

namespace citycode::store::internal {
namespace {

// Enough for every statement the application runs; past it the cache starts
// over rather than grow without bound on generated SQL.
constexpr std::size_t kMaxCachedStatements = 256;

// One line, without parameter values: SQLite's messages name constraints
// and columns, never the data.
Status SqliteError(int code, sqlite3* db, std::string_view sql) {
  std::string message = "sqlite: ";
  message += OneLine(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  if (!sql.empty()) message += " [" + OneLine(sql) + "]";
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID: return AlreadyExists(std::move(message));
    default: break;
  }
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT: return FailedPrecondition(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Aborted(std::move(message));
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE: return InvalidArgument(std::move(message));
    case SQLITE_FULL:
    case SQLITE_NOMEM: return ResourceExhausted(std::move(message));
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY: return Unavailable(std::move(message));
    default: return Internal(std::move(message));
  }
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One sqlite3 handle and its prepared statements. Used by one thread at a
// time (the pool and Transaction see to that), hence SQLITE_OPEN_NOMUTEX.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  std::chrono::milliseconds busy_timeout) {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto connection = std::unique_ptr<Connection>(new Connection(db));
    if (rc != SQLITE_OK) {
      const Status error = SqliteError(rc, db, {});
      return Status(error.code(), "cannot open " + path + ": " + error.message());
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    std::vector<Row> rows;
    CITYCODE_RETURN_IF_ERROR(connection->Run("PRAGMA journal_mode=WAL", {}, &rows).status());
    if (rows.size() != 1 || rows[0].IsNull(0) || rows[0].Text(0) != "wal") {
      return Unavailable("sqlite: cannot switch " + path + " to WAL mode");
    }
    // In WAL mode NORMAL loses nothing when the process dies (only on power
    // loss), and saves an fsync per commit.
    CITYCODE_RETURN_IF_ERROR(connection->Run("PRAGMA synchronous=NORMAL", {}, nullptr).status());
    CITYCODE_RETURN_IF_ERROR(connection->Run("PRAGMA foreign_keys=ON", {}, nullptr).status());
    return connection;
  }

  ~Connection() {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    sqlite3_close(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // Runs one statement; appends its rows to `rows` unless that is null.
  // Returns the number of rows the statement changed.
  Result<std::int64_t> Run(std::string_view sql, std::span<const Value> params,
                           std::vector<Row>* rows) {
    CITYCODE_ASSIGN_OR_RETURN(sqlite3_stmt * statement, Prepare(sql));
    // Reset on every way out, so an unfinished statement holds no read lock
    // and no pointer into `params` survives the call.
    struct ResetOnExit {
      sqlite3_stmt* statement;
      ~ResetOnExit() {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
      }
    } reset{statement};

    const int expected = sqlite3_bind_parameter_count(statement);
    if (static_cast<std::size_t>(expected) != params.size()) {
      return InvalidArgument("sqlite: statement takes " + std::to_string(expected) +
                             " parameters, got " + std::to_string(params.size()) + " [" +
                             OneLine(sql) + "]");
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int rc = Bind(statement, static_cast<int>(i) + 1, params[i]);
      if (rc != SQLITE_OK) return SqliteError(rc, db_, sql);
    }

    // sqlite3_changes64 keeps the count of the last INSERT, UPDATE or DELETE
    // even across DDL and SELECT, so only trust it if something changed.
    const std::int64_t total_before = sqlite3_total_changes64(db_);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      if (rows != nullptr) rows->push_back(ReadRow(statement));
    }
    if (rc != SQLITE_DONE) return SqliteError(rc, db_, sql);
    return sqlite3_total_changes64(db_) == total_before ? 0 : sqlite3_changes64(db_);
  }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &statement, &tail);
    if (rc != SQLITE_OK) return SqliteError(rc, db_, sql);
    if (statement == nullptr) return InvalidArgument("sqlite: empty statement");
    // SQLite would silently ignore whatever follows the first statement;
    // PostgreSQL refuses it, so refuse it here too.
    const char* end = sql.data() + sql.size();
    if (tail != nullptr && tail < end) {
      sqlite3_stmt* next = nullptr;
      rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &next, nullptr);
      sqlite3_finalize(next);
      if (rc != SQLITE_OK || next != nullptr) {
        sqlite3_finalize(statement);
        return InvalidArgument("sqlite: one statement at a time [" + OneLine(sql) + "]");
      }
    }
    if (statements_.size() >= kMaxCachedStatements) {
      for (auto& [text, cached] : statements_) sqlite3_finalize(cached);
      statements_.clear();
    }
    statements_.emplace(std::string(sql), statement);
    return statement;
  }

  static int Bind(sqlite3_stmt* statement, int index, const Value& value) {
    // SQLITE_STATIC: `params` outlives the statement's use, and the reset
    // in Run clears the bindings before returning.
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      return sqlite3_bind_int64(statement, index, *i);
    }
    if (const auto* s = std::get_if<std::string>(&value)) {
      return sqlite3_bind_text64(statement, index, s->data(), s->size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
    }
    if (const auto* b = std::get_if<Bytes>(&value)) {
      // A null data pointer would bind NULL, not an empty blob.
      if (b->empty()) return sqlite3_bind_zeroblob(statement, index, 0);
      return sqlite3_bind_blob64(statement, index, b->data(), b->size(), SQLITE_STATIC);
    }
    return sqlite3_bind_null(statement, index);
  }

  static Row ReadRow(sqlite3_stmt* statement) {
    const int columns = sqlite3_column_count(statement);
    std::vector<Value> values;
    values.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(statement, c)) {
        case SQLITE_NULL: values.emplace_back(nullptr); break;
        case SQLITE_INTEGER:
          values.emplace_back(std::int64_t{sqlite3_column_int64(statement, c)});
          break;
        case SQLITE_BLOB: {
          // Pointer first, then size, as sqlite3_column_bytes() wants.
          const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement, c));
          const int size = sqlite3_column_bytes(statement, c);
          values.emplace_back(data == nullptr ? Bytes() : Bytes(data, data + size));
          break;
        }
        default: {
          // TEXT, and REAL as its text: Value has no floating-point type.
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, c));
          const int size = sqlite3_column_bytes(statement, c);
          values.emplace_back(text == nullptr ? std::string() : std::string(text, size));
          break;
        }
      }
    }
    return Row(std::move(values));
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> statements_;
};

using Pool = ConnectionPool<Connection>;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> connection)
      : pool_(std::move(pool)), connection_(std::move(connection)) {}
  ~SqliteTransaction() override { Rollback(); }

  using Transaction::Execute;
  using Transaction::Query;

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) override {
    CITYCODE_RETURN_IF_ERROR(CheckUsable());
    std::vector<Row> rows;
    Result<std::int64_t> ran = connection_->Run(sql, params, &rows);
    if (!ran.ok()) return Fail(ran.status());
    return rows;
  }

  Result<std::int64_t> Execute(std::string_view sql, std::span<const Value> params) override {
    CITYCODE_RETURN_IF_ERROR(CheckUsable());
    Result<std::int64_t> ran = connection_->Run(sql, params, nullptr);
    if (!ran.ok()) return Fail(ran.status());
    return ran;
  }

  Status Commit() override {
    CITYCODE_RETURN_IF_ERROR(CheckUsable());
    Result<std::int64_t> committed = connection_->Run("COMMIT", {}, nullptr);
    if (!committed.ok()) {
      Rollback();
      return committed.status();
    }
    pool_->Release(std::move(connection_));
    return OkStatus();
  }

  void Rollback() override {
    if (connection_ == nullptr) return;
    // SQLite may already have rolled back by itself (after SQLITE_FULL,
    // SQLITE_IOERR …), and then a ROLLBACK would fail.
    bool clean = true;
    if (sqlite3_get_autocommit(connection_->db()) == 0) {
      clean = connection_->Run("ROLLBACK", {}, nullptr).ok();
    }
    if (!clean) connection_.reset();  // in an unknown state: close it
    pool_->Release(std::move(connection_));
  }

 private:
  Status CheckUsable() const {
    if (connection_ == nullptr) return FailedPrecondition("the transaction has ended");
    // SQLite would carry on after a failed statement, PostgreSQL would not;
    // behaving like PostgreSQL keeps code written against SQLite portable.
    if (failed_)
      return FailedPrecondition("an earlier statement failed; roll the transaction back");
    return OkStatus();
  }
  Status Fail(Status status) {
    failed_ = true;
    return status;
  }

  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Connection> connection_;  // null once committed or rolled back
  bool failed_ = false;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {}

  Backend backend() const override { return Backend::kSqlite; }

  Result<std::unique_ptr<Transaction>> Begin(TransactionMode mode) override {
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, pool_->Acquire());
    // IMMEDIATE takes the write lock now (waiting up to busy_timeout), so a
    // write transaction never fails later trying to upgrade a read lock.
    const Result<std::int64_t> begun =
        connection->Run(mode == TransactionMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", {}, nullptr);
    if (!begun.ok()) {
      pool_->Release(std::move(connection));
      return begun.status();
    }
    return std::unique_ptr<Transaction>(new SqliteTransaction(pool_, std::move(connection)));
  }

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(std::string_view path,
                                             const DatabaseOptions& options) {
  if (path.empty()) return InvalidArgument("sqlite: the URL names no file (sqlite:PATH)");
  if (path == ":memory:") {
    return InvalidArgument("sqlite: in-memory databases are not supported (one per connection)");
  }
  auto pool = std::make_shared<Pool>(options.pool_size, options.busy_timeout,
                                     [path = std::string(path), timeout = options.busy_timeout] {
                                       return Connection::Open(path, timeout);
                                     });
  // Open one connection now, so a bad path fails here and not at the first
  // Begin, and the file is in WAL mode before a second connection opens.
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first, pool->Acquire());
  pool->Release(std::move(first));
  return std::unique_ptr<Database>(new SqliteDatabase(std::move(pool)));
}

}  // namespace citycode::store::internal
