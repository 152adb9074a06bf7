// One storage interface, two backends chosen by URL:
//   sqlite:PATH            embedded default (WAL, foreign keys on)
//   postgresql://…         production (libpq); postgres://… too
//
// SQL is written once, in the dialect both backends share: `?` placeholders
// (rewritten to $1, $2 … for PostgreSQL), BIGINT/TEXT/BLOB columns (BLOB is
// BYTEA on PostgreSQL), INSERT … ON CONFLICT, RETURNING, and a table's
// WITHOUT ROWID (kept on SQLite, left out on PostgreSQL). Ids are made by the
// application, never by autoincrement, so rows look the same on both.
//
// The domain code controls transactions: Begin() gives one, every statement
// runs inside it, Commit() makes it durable, and destroying it uncommitted
// rolls back. A write transaction takes the write lock when it begins
// (SQLite: BEGIN IMMEDIATE), so read-then-write logic never deadlocks. To
// serialise on one row portably (SQLite has no SELECT … FOR UPDATE), update
// that row first.
//
// Thread safety: Database is safe to share; each Transaction belongs to one
// thread at a time. Connections are pooled.
#ifndef CITYCODE_STORE_DATABASE_H_
#define CITYCODE_STORE_DATABASE_H_

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"

namespace citycode::store {

enum class Backend { kSqlite, kPostgres };

// A statement parameter or a column value.
using Value = std::variant<std::nullptr_t, std::int64_t, std::string, Bytes>;

// Parameter values, for the `params` of Query and Execute.
inline Value Int(std::int64_t v) { return v; }
inline Value Text(std::string_view v) { return std::string(v); }
inline Value Blob(ByteView v) { return Bytes(v.begin(), v.end()); }
inline Value Time(Instant t) { return ToUnixSeconds(t); }  // instants are stored as unix seconds

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  bool IsNull(std::size_t column) const;
  // Typed access; the column must hold that type (a bug otherwise: throws
  // std::logic_error). On PostgreSQL, BIGINT/INTEGER columns come back as
  // integers, BYTEA as bytes, everything else as text.
  std::int64_t Int(std::size_t column) const;
  const std::string& Text(std::size_t column) const;
  const Bytes& Blob(std::size_t column) const;
  std::optional<std::int64_t> OptionalInt(std::size_t column) const;
  std::optional<std::string> OptionalText(std::size_t column) const;
  const Value& operator[](std::size_t column) const { return values_.at(column); }

 private:
  std::vector<Value> values_;
};

enum class TransactionMode { kRead, kWrite };

class Transaction {
 public:
  virtual ~Transaction() = default;
  // Runs one statement and returns its rows (empty for statements without a
  // result). Every error the store returns is a system status
  // (Status::is_system(): its message names SQL and is for the log only).
  // Errors: already_exists for a unique or primary-key violation,
  // failed_precondition for a foreign-key or check violation, aborted for a
  // serialisation failure or deadlock (retry the transaction), unavailable
  // when the connection is lost, internal otherwise. After an error the
  // transaction can only be rolled back.
  virtual Result<std::vector<Row>> Query(std::string_view sql,
                                         std::span<const Value> params = {}) = 0;
  // Runs one statement and returns the number of rows it changed.
  virtual Result<std::int64_t> Execute(std::string_view sql,
                                       std::span<const Value> params = {}) = 0;
  virtual Status Commit() = 0;
  // Explicit rollback; the destructor does the same if neither was called.
  virtual void Rollback() = 0;

  // Convenience: the single row of a query, not_found when there is none
  // (QueryOptional: nullopt), internal when there are several (a bug).
  Result<Row> QueryOne(std::string_view sql, std::span<const Value> params = {});
  Result<std::optional<Row>> QueryOptional(std::string_view sql,
                                           std::span<const Value> params = {});

  // The same with the parameters written in place: tx.Query(sql, {id, name}).
  Result<std::vector<Row>> Query(std::string_view sql, std::initializer_list<Value> params) {
    return Query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  Result<std::int64_t> Execute(std::string_view sql, std::initializer_list<Value> params) {
    return Execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  Result<Row> QueryOne(std::string_view sql, std::initializer_list<Value> params) {
    return QueryOne(sql, std::span<const Value>(params.begin(), params.size()));
  }
  Result<std::optional<Row>> QueryOptional(std::string_view sql,
                                           std::initializer_list<Value> params) {
    return QueryOptional(sql, std::span<const Value>(params.begin(), params.size()));
  }
};

// A schema step: applied once, in version order, each in its own transaction,
// recorded in the table schema_migrations(version, name, applied_at).
// A module's migrations lie in one block of versions: platform 1-999,
// vault 1000-1999, scenes from 2000 on, one block each; Migrate checks "newer
// than this program" within the block only.
inline constexpr int kMigrationBlock = 1000;

struct Migration {
  int version;
  std::string name;
  std::string sql;  // several statements separated by ';'
};

struct DatabaseOptions {
  std::size_t pool_size = 8;
  // How long Begin waits for the SQLite write lock or a pooled connection.
  std::chrono::milliseconds busy_timeout{5000};
  // PostgreSQL: connect all pool_size connections at Open. A server wants
  // this: its open files are then fixed from the start, not grown at its
  // first peak of concurrent requests. Otherwise connections open as needed,
  // so a short command holds one. (SQLite always opens its pool at once.)
  bool connect_whole_pool = false;
};

class Database {
 public:
  virtual ~Database() = default;
  // Opens the database at `url` (see the top of this file). invalid_argument
  // for an unknown scheme, unavailable when the server cannot be reached.
  static Result<std::unique_ptr<Database>> Open(std::string_view url,
                                                const DatabaseOptions& options = {});

  virtual Backend backend() const = 0;
  virtual Result<std::unique_ptr<Transaction>> Begin(TransactionMode mode) = 0;

  // Applies the migrations not yet recorded; failed_precondition if the
  // database holds a version newer than any in `migrations` (an older binary
  // on a newer schema).
  Status Migrate(std::span<const Migration> migrations);
  // The highest applied migration version, 0 for an empty database.
  Result<int> SchemaVersion();
  // Succeeds when a read transaction can run a statement (readiness probes).
  Status Ping();
};

// Runs `work` in a transaction of `mode` and commits it; retries the whole
// transaction (up to 3 times) when the backend reports aborted
// (serialisation failure, deadlock, SQLite busy). `work` returns a Status;
// an error rolls back and is returned.
template <typename Work>
Status RunInTransaction(Database& db, TransactionMode mode, Work&& work) {
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto tx = db.Begin(mode);
    if (!tx.ok()) {
      last = tx.status();
      if (last.code() == StatusCode::kAborted) continue;
      return last;
    }
    last = work(**tx);
    if (last.ok()) last = (*tx)->Commit();
    if (last.ok() || last.code() != StatusCode::kAborted) return last;
  }
  return last;
}

// The URL with any password replaced by "***", for logs.
std::string RedactUrl(std::string_view url);

}  // namespace citycode::store

#endif  // CITYCODE_STORE_DATABASE_H_
