#include "store/internal/sqlite.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
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

// The WAL is checkpointed when a commit leaves it this long, in frames
// (SQLite's own auto-checkpoint threshold is 1000).
constexpr int kCheckpointFrames = 4000;  // 16 MiB of 4 KiB pages
// The background checkpoint rounds go on while a round copies more frames.
constexpr int kCheckpointTail = 128;
// How long the final, writer-blocking step of a checkpoint waits for readers
// of older snapshots before it settles for what it could copy.
constexpr std::chrono::milliseconds kCheckpointWait{100};

// Set by a commit that leaves the WAL long; the database's checkpointer
// thread waits for it. Shared by the connections (whose WAL hook sets it)
// and the database, which a transaction may outlive.
struct CheckpointSignal {
  std::mutex mutex;
  std::condition_variable wake;
  bool wanted = false;    // guarded by mutex
  bool stopping = false;  // guarded by mutex

  void Request() {
    {
      std::lock_guard lock(mutex);
      if (wanted) return;
      wanted = true;
    }
    wake.notify_one();
  }
};

// One line, without parameter values: SQLite's messages name constraints
// and columns, never the data.
Status SqliteError(int code, sqlite3* db, std::string_view sql) {
  std::string message = "sqlite: ";
  message += OneLine(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  if (!sql.empty()) message += " [" + OneLine(sql) + "]";
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return Status::System(StatusCode::kAlreadyExists, std::move(message));
    default: break;
  }
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status::System(StatusCode::kFailedPrecondition, std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::System(StatusCode::kAborted, std::move(message));
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE: return Status::System(StatusCode::kInvalidArgument, std::move(message));
    case SQLITE_NOMEM: return Status::System(StatusCode::kResourceExhausted, std::move(message));
    case SQLITE_FULL:  // a full disk: the service is unavailable, not the caller over a quota
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY: return Status::System(StatusCode::kUnavailable, std::move(message));
    default: return Status::System(StatusCode::kInternal, std::move(message));
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
  // The writer (see SqliteDatabase) gets a larger page cache: its cache
  // survives from one transaction to the next. Commits that leave the WAL
  // long tell `checkpoints`.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  std::chrono::milliseconds busy_timeout,
                                                  bool writer,
                                                  std::shared_ptr<CheckpointSignal> checkpoints) {
    // Memory statistics take a process-wide mutex on every allocation;
    // nothing reads them. Only possible before SQLite initialises, hence
    // once, before the first open (if something else initialised SQLite
    // first, the call fails harmlessly).
    static const int kNoMemoryStatistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)kNoMemoryStatistics;
    // A statement that writes many rows and may fail halfway keeps a
    // statement journal to undo them; past 64 KiB SQLite moves it to a
    // temporary file. A hundred rows with random keys (a batch's replay
    // records) touch more pages than that, so each such statement wrote
    // its journal through the kernel, to be thrown away. In memory up to
    // 8 MiB instead.
    static const int kStatementJournalInMemory =
        sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 8 << 20);
    (void)kStatementJournalInMemory;
    // A new database file is the owner's only (SQLite would make it 0644);
    // its -wal and -shm files take the same mode from it.
    if (const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0) {
      ::close(fd);
    }
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto connection = std::unique_ptr<Connection>(new Connection(db));
    if (rc != SQLITE_OK) {
      const Status error = SqliteError(rc, db, {});
      return Status::System(error.code(), "cannot open " + path + ": " + error.message());
    }
    sqlite3_extended_result_codes(db, 1);
    connection->busy_timeout_ = busy_timeout;
    connection->checkpoints_ = std::move(checkpoints);
    sqlite3_busy_handler(db, &Connection::OnBusy, connection.get());
    std::vector<Row> rows;
    CITYCODE_RETURN_IF_ERROR(connection->Run("PRAGMA journal_mode=WAL", {}, &rows).status());
    if (rows.size() != 1 || rows[0].IsNull(0) || rows[0].Text(0) != "wal") {
      return Status::System(StatusCode::kUnavailable,
                            "sqlite: cannot switch " + path + " to WAL mode");
    }
    // FULL: a commit is on disk when it returns, so what was acknowledged
    // survives a power loss too (NORMAL in WAL mode only a dead process).
    // Requests that arrive together share that fsync (store/group_commit.h).
    CITYCODE_RETURN_IF_ERROR(connection->Run("PRAGMA synchronous=FULL", {}, nullptr).status());
    CITYCODE_RETURN_IF_ERROR(connection->Run("PRAGMA foreign_keys=ON", {}, nullptr).status());
    if (writer) {
      CITYCODE_RETURN_IF_ERROR(
          connection->Run("PRAGMA cache_size=-32768", {}, nullptr).status());  // KiB
    }
    // A WAL that was long once is cut back to this after a checkpoint.
    CITYCODE_RETURN_IF_ERROR(
        connection->Run("PRAGMA journal_size_limit=67108864", {}, nullptr).status());
    // Replaces SQLite's auto-checkpoint (see OnWalCommit).
    sqlite3_wal_hook(db, &Connection::OnWalCommit, connection.get());
    return connection;
  }

  ~Connection() {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    sqlite3_close(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // Checkpoints the WAL in `mode` (SQLITE_CHECKPOINT_PASSIVE, _RESTART);
  // waits at most kCheckpointWait for a lock. Returns SQLite's result code
  // and the WAL's length in frames.
  int Checkpoint(int mode, int* wal_frames, int* copied_frames = nullptr) {
    checkpointing_ = true;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, mode, wal_frames, copied_frames);
    checkpointing_ = false;
    return rc;
  }

  // fdatasync of the database file (not the WAL), through SQLite's VFS.
  void SyncDatabaseFile() {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
        file != nullptr && file->pMethods != nullptr) {
      file->pMethods->xSync(file, SQLITE_SYNC_NORMAL | SQLITE_SYNC_DATAONLY);
    }
  }

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
      return Status::System(StatusCode::kInvalidArgument,
                            "sqlite: statement takes " + std::to_string(expected) +
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

  // Waits for a lock another connection holds (another process's writer,
  // or readers a checkpoint waits for): short sleeps first, since the
  // holders' transactions last microseconds, where SQLite's own handler
  // sleeps 1 ms, then 2, 5, 10 …
  static int OnBusy(void* self, int count) {
    auto* connection = static_cast<Connection*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) connection->busy_since_ = now;
    const auto limit = connection->checkpointing_
                           ? std::min(connection->busy_timeout_, kCheckpointWait)
                           : connection->busy_timeout_;
    if (now - connection->busy_since_ >= limit) return 0;
    std::this_thread::sleep_for(count < 20    ? std::chrono::microseconds(50)
                                : count < 100 ? std::chrono::microseconds(200)
                                              : std::chrono::microseconds(1000));
    return 1;
  }

  // After every commit, with the WAL's length in frames: replaces SQLite's
  // auto-checkpoint, which runs a PASSIVE checkpoint in the committing
  // thread past 1000 frames. That costs the request two fsyncs and the copy,
  // and under steady load it never finishes: some reader always holds the
  // snapshot before the last commit, so the WAL is never restarted, grows
  // without bound, and every commit from then on checkpoints again. Here the
  // database's checkpointer thread does it (SqliteDatabase::Checkpointer).
  static int OnWalCommit(void* self, sqlite3*, const char*, int frames) {
    auto* connection = static_cast<Connection*>(self);
    if (frames >= kCheckpointFrames && connection->checkpoints_)
      connection->checkpoints_->Request();
    return SQLITE_OK;
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &statement, &tail);
    if (rc != SQLITE_OK) return SqliteError(rc, db_, sql);
    if (statement == nullptr)
      return Status::System(StatusCode::kInvalidArgument, "sqlite: empty statement");
    // SQLite would silently ignore whatever follows the first statement;
    // PostgreSQL refuses it, so refuse it here too.
    const char* end = sql.data() + sql.size();
    if (tail != nullptr && tail < end) {
      sqlite3_stmt* next = nullptr;
      rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &next, nullptr);
      sqlite3_finalize(next);
      if (rc != SQLITE_OK || next != nullptr) {
        sqlite3_finalize(statement);
        return Status::System(StatusCode::kInvalidArgument,
                              "sqlite: one statement at a time [" + OneLine(sql) + "]");
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
  std::chrono::milliseconds busy_timeout_{0};
  std::chrono::steady_clock::time_point busy_since_;
  bool checkpointing_ = false;
  std::shared_ptr<CheckpointSignal> checkpoints_;
};

using Pool = ConnectionPool<Connection>;

class SqliteTransaction final : public PooledTransaction<Connection> {
 public:
  SqliteTransaction(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> connection)
      : PooledTransaction(std::move(pool), std::move(connection)) {}
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
};

// Write transactions take the process's one writer connection, waiting for
// it in a queue (a condition variable) rather than in SQLite's busy handler,
// which polls with sleeps; and the writer's page cache stays warm, because
// no other connection of the process changes the database under it (a
// connection drops its whole cache whenever another one has committed).
// Read transactions take the other connections. Other processes' writers
// are still kept out by SQLite's lock (BEGIN IMMEDIATE).
//
// A checkpointer thread keeps the WAL short, off the requests' path: a
// PASSIVE checkpoint on its own connection copies the WAL into the database
// (with its fsyncs) while writers go on; then, holding the writer connection
// like a write transaction, a RESTART checkpoint copies the few pages
// committed meanwhile, waits for readers of older snapshots, and lets the
// next writer start the WAL over. Durability is SQLite's own: a commit is in
// the WAL before it returns, whoever checkpoints when.
class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::shared_ptr<Pool> readers, std::shared_ptr<Pool> writer,
                 std::shared_ptr<CheckpointSignal> checkpoints,
                 std::function<Result<std::unique_ptr<Connection>>()> open_checkpointer,
                 std::chrono::milliseconds busy_timeout)
      : readers_(std::move(readers)),
        writer_(std::move(writer)),
        checkpoints_(std::move(checkpoints)),
        busy_timeout_(busy_timeout),
        checkpointer_([this, open = std::move(open_checkpointer)] { Checkpointer(open); }) {}

  ~SqliteDatabase() override {
    {
      std::lock_guard lock(checkpoints_->mutex);
      checkpoints_->stopping = true;
    }
    checkpoints_->wake.notify_all();
    checkpointer_.join();
  }

  Backend backend() const override { return Backend::kSqlite; }

  Result<std::unique_ptr<Transaction>> Begin(TransactionMode mode) override {
    const bool write = mode == TransactionMode::kWrite;
    const std::shared_ptr<Pool>& pool = write ? writer_ : readers_;
    Result<std::unique_ptr<Connection>> acquired = pool->Acquire();
    if (!acquired.ok()) {
      // As when SQLite's lock is busy: the caller may retry.
      if (write && acquired.status().code() == StatusCode::kUnavailable) {
        return Status::System(StatusCode::kAborted,
                              "sqlite: another write transaction held the database for " +
                                  std::to_string(busy_timeout_.count()) + " ms");
      }
      return acquired.status();
    }
    std::unique_ptr<Connection> connection = std::move(*acquired);
    // IMMEDIATE takes the write lock now (waiting up to busy_timeout), so a
    // write transaction never fails later trying to upgrade a read lock.
    const Result<std::int64_t> begun =
        connection->Run(write ? "BEGIN IMMEDIATE" : "BEGIN", {}, nullptr);
    if (!begun.ok()) {
      pool->Release(std::move(connection));
      return begun.status();
    }
    return std::unique_ptr<Transaction>(new SqliteTransaction(pool, std::move(connection)));
  }

 private:
  void Checkpointer(const std::function<Result<std::unique_ptr<Connection>>()>& open) {
    std::unique_ptr<Connection> own;
    for (;;) {
      {
        std::unique_lock lock(checkpoints_->mutex);
        checkpoints_->wake.wait(lock,
                                [&] { return checkpoints_->wanted || checkpoints_->stopping; });
        if (checkpoints_->stopping) return;
        checkpoints_->wanted = false;
      }
      // Failures are left for the next request: the WAL only grows meanwhile.
      if (!own) {
        Result<std::unique_ptr<Connection>> opened = open();
        if (!opened.ok()) continue;
        own = std::move(*opened);
      }
      // PASSIVE rounds, each followed by an fsync of the database file
      // (SQLite syncs it only when a checkpoint completes), until a round
      // has little left to copy: whatever the RESTART below still has to
      // copy and sync, writers wait for.
      for (int round = 0, frames = 0, copied = 0, before = 0; round < 6; ++round) {
        if (own->Checkpoint(SQLITE_CHECKPOINT_PASSIVE, &frames, &copied) != SQLITE_OK) break;
        own->SyncDatabaseFile();
        if (frames - before <= kCheckpointTail) break;
        before = copied;
      }
      // Holding the writer connection keeps the process's writers out, in
      // their queue, while the RESTART copies the tail.
      Result<std::unique_ptr<Connection>> writer = writer_->Acquire();
      if (!writer.ok()) continue;
      int frames = 0;
      if (own->Checkpoint(SQLITE_CHECKPOINT_RESTART, &frames) == SQLITE_OK) {
        // Commits since the request asked again; the WAL starts over now.
        std::lock_guard lock(checkpoints_->mutex);
        checkpoints_->wanted = false;
      }
      writer_->Release(std::move(*writer));
    }
  }

  std::shared_ptr<Pool> readers_;
  std::shared_ptr<Pool> writer_;  // one connection
  std::shared_ptr<CheckpointSignal> checkpoints_;
  std::chrono::milliseconds busy_timeout_;
  std::thread checkpointer_;  // last: started when the rest is ready
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(std::string_view path,
                                             const DatabaseOptions& options) {
  if (path.empty())
    return Status::System(StatusCode::kInvalidArgument,
                          "sqlite: the URL names no file (sqlite:PATH)");
  if (path == ":memory:") {
    return Status::System(StatusCode::kInvalidArgument,
                          "sqlite: in-memory databases are not supported (one per connection)");
  }
  auto checkpoints = std::make_shared<CheckpointSignal>();
  auto opener = [path = std::string(path), timeout = options.busy_timeout,
                 checkpoints](bool writer) {
    return [path, timeout, writer, checkpoints] {
      return Connection::Open(path, timeout, writer, checkpoints);
    };
  };
  // pool_size connections in all: one writer, the rest (at least one) for
  // readers; and the checkpointer's own.
  const std::size_t readers = options.pool_size > 1 ? options.pool_size - 1 : 1;
  auto reader_pool = std::make_shared<Pool>(readers, options.busy_timeout, opener(false));
  auto writer_pool = std::make_shared<Pool>(1, options.busy_timeout, opener(true));
  // Open the writer now, so a bad path fails here and not at the first
  // Begin, and the file is in WAL mode before a second connection opens.
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first, writer_pool->Acquire());
  writer_pool->Release(std::move(first));
  // The readers too: cheap here, and the server's open files are then fixed
  // from the start instead of growing with each new peak of concurrent
  // reads (a soak took minutes to reach them all).
  CITYCODE_RETURN_IF_ERROR(reader_pool->OpenAll());
  return std::unique_ptr<Database>(new SqliteDatabase(std::move(reader_pool),
                                                      std::move(writer_pool), checkpoints,
                                                      opener(false), options.busy_timeout));
}

}  // namespace citycode::store::internal
