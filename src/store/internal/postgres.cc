#include "store/internal/postgres.h"

#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "store/internal/pool.h"
#include "store/internal/sql.h"

namespace citycode::store::internal {
namespace {

// Type OIDs from catalog/pg_type.h, which ships with the server headers
// rather than libpq's; they are fixed for good.
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;

// libpq waits forever for a server that does not answer; a URL can still
// set its own connect_timeout.
constexpr const char* kConnectTimeoutSeconds = "10";

// Parameters go in binary format: text and bytes pass through unchanged
// (no escaping, and a NUL in a string is refused by the server instead of
// cutting the string short), integers as 8 bytes in network order.
constexpr int kBinaryFormat = 1;
// Results come as text, so types other than integers and bytea arrive in
// their readable form.
constexpr int kTextFormat = 0;
// The server's limit for one value (and libpq counts lengths in int).
constexpr std::size_t kMaxParamBytes = std::size_t{1} << 30;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

void IgnoreNotice(void*, const char*) {
  // NOTICEs ("relation … already exists, skipping") would go to stderr.
}

bool IsConnectionError(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

// One line and no parameter values: only the primary message is used (the
// DETAIL repeats the offending key, "Key (id)=(42) already exists"), and for
// data exceptions not even that ("invalid input syntax for type bigint:
// "<value>"").
Status PgError(PGconn* connection, const PGresult* result, std::string_view sql) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string where = sql.empty() ? "" : " [" + OneLine(sql) + "]";
  if (state == nullptr) {
    // Made by libpq itself, not the server: mostly a lost connection.
    std::string message = "postgresql: " + OneLine(PQerrorMessage(connection)) + where;
    if (PQstatus(connection) != CONNECTION_OK)
      return Status::System(StatusCode::kUnavailable, std::move(message));
    return Status::System(StatusCode::kInternal, std::move(message));
  }
  const std::string_view sqlstate(state);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = "postgresql: ";
  message += sqlstate.starts_with("22") ? "invalid data"
             : primary != nullptr       ? OneLine(primary)
                                        : "error";
  message += " (SQLSTATE " + std::string(sqlstate) + ")" + where;

  if (sqlstate == "23505") return Status::System(StatusCode::kAlreadyExists, std::move(message));
  if (sqlstate.starts_with("23"))
    return Status::System(StatusCode::kFailedPrecondition, std::move(message));
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Status::System(StatusCode::kAborted, std::move(message));
  }
  if (sqlstate.starts_with("22"))
    return Status::System(StatusCode::kInvalidArgument, std::move(message));
  if (IsConnectionError(sqlstate) || PQstatus(connection) != CONNECTION_OK) {
    return Status::System(StatusCode::kUnavailable, std::move(message));
  }
  // 53100 disk_full: the service is unavailable, not the caller over a quota.
  if (sqlstate == "53100") return Status::System(StatusCode::kUnavailable, std::move(message));
  if (sqlstate.starts_with("53")) {
    return Status::System(StatusCode::kResourceExhausted, std::move(message));
  }
  if (sqlstate == "57014") return Status::System(StatusCode::kDeadlineExceeded, std::move(message));
  return Status::System(StatusCode::kInternal, std::move(message));
}

Result<Bytes> DecodeBytea(const char* text, int size) {
  const std::string_view s(text, size);
  if (s.starts_with("\\x")) {
    auto decoded = FromHex(s.substr(2));
    if (!decoded.ok())
      return Status::System(StatusCode::kInternal, "postgresql: malformed bytea from the server");
    return decoded;
  }
  // The old "escape" output (bytea_output = escape).
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &length);
  if (raw == nullptr)
    return Status::System(StatusCode::kResourceExhausted,
                          "postgresql: out of memory decoding bytea");
  Bytes bytes(raw, raw + length);
  PQfreemem(raw);
  return bytes;
}

Result<std::vector<Row>> ReadRows(const PGresult* result) {
  const int row_count = PQntuples(result);
  const int column_count = PQnfields(result);
  std::vector<Oid> types(column_count);
  for (int c = 0; c < column_count; ++c) types[c] = PQftype(result, c);
  std::vector<Row> rows;
  rows.reserve(row_count);
  for (int r = 0; r < row_count; ++r) {
    std::vector<Value> values;
    values.reserve(column_count);
    for (int c = 0; c < column_count; ++c) {
      if (PQgetisnull(result, r, c)) {
        values.emplace_back(nullptr);
        continue;
      }
      const char* text = PQgetvalue(result, r, c);
      const int size = PQgetlength(result, r, c);
      switch (types[c]) {
        case kInt2Oid:
        case kInt4Oid:
        case kInt8Oid: {
          std::int64_t n = 0;
          const auto [end, error] = std::from_chars(text, text + size, n);
          if (error != std::errc() || end != text + size) {
            return Status::System(StatusCode::kInternal,
                                  "postgresql: malformed integer from the server");
          }
          values.emplace_back(n);
          break;
        }
        case kByteaOid: {
          CITYCODE_ASSIGN_OR_RETURN(Bytes bytes, DecodeBytea(text, size));
          values.emplace_back(std::move(bytes));
          break;
        }
        default: values.emplace_back(std::string(text, size)); break;
      }
    }
    rows.emplace_back(std::move(values));
  }
  return rows;
}

// One libpq connection. Used by one thread at a time.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& url) {
    // Keywords after the expanded URL override it, those before are
    // defaults it may override: we always speak UTF-8.
    const char* const keywords[] = {"connect_timeout", "dbname", "client_encoding", nullptr};
    const char* const values[] = {kConnectTimeoutSeconds, url.c_str(), "UTF8", nullptr};
    auto connection = std::unique_ptr<Connection>(
        new Connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1)));
    PGconn* pg = connection->pg_;
    if (pg == nullptr)
      return Status::System(StatusCode::kResourceExhausted, "postgresql: out of memory");
    if (PQstatus(pg) != CONNECTION_OK) {
      return Status::System(StatusCode::kUnavailable,
                            "postgresql: cannot connect: " + OneLine(PQerrorMessage(pg)));
    }
    PQsetNoticeProcessor(pg, IgnoreNotice, nullptr);  // kept across PQreset
    return connection;
  }

  ~Connection() { PQfinish(pg_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* pg() const { return pg_; }

  // Starts a transaction, first reconnecting if the connection was lost.
  Status Begin() {
    for (int attempt = 0;; ++attempt) {
      if (PQstatus(pg_) != CONNECTION_OK || PQtransactionStatus(pg_) != PQTRANS_IDLE) {
        PQreset(pg_);
        prepared_.clear();
        if (PQstatus(pg_) != CONNECTION_OK) {
          return Status::System(StatusCode::kUnavailable,
                                "postgresql: cannot reconnect: " + OneLine(PQerrorMessage(pg_)));
        }
      }
      const PgResult result(PQexec(pg_, "BEGIN"));
      if (PQresultStatus(result.get()) == PGRES_COMMAND_OK) return OkStatus();
      // A connection that died idle in the pool (server restart, failover,
      // idle timeout) only shows it now; nothing has run in the
      // transaction yet, so one more try on a fresh connection is safe.
      if (PQstatus(pg_) == CONNECTION_OK || attempt > 0) {
        return PgError(pg_, result.get(), "BEGIN");
      }
    }
  }

  // Runs one statement of the shared dialect.
  Result<PgResult> Run(std::string_view sql, std::span<const Value> params) {
    const PostgresSql rewritten = RewriteForPostgres(sql);
    if (rewritten.multiple) {
      return Status::System(StatusCode::kInvalidArgument,
                            "postgresql: one statement at a time [" + OneLine(sql) + "]");
    }
    if (static_cast<std::size_t>(rewritten.placeholders) != params.size()) {
      return Status::System(StatusCode::kInvalidArgument,
                            "postgresql: statement takes " +
                                std::to_string(rewritten.placeholders) + " parameters, got " +
                                std::to_string(params.size()) + " [" + OneLine(sql) + "]");
    }
    const std::size_t n = params.size();
    for (const Value& param : params) {
      const std::size_t size = std::visit(
          [](const auto& v) -> std::size_t {
            if constexpr (requires { v.size(); }) return v.size();
            return 0;
          },
          param);
      if (size > kMaxParamBytes) {
        return Status::System(StatusCode::kInvalidArgument,
                              "postgresql: a parameter is over 1 GB [" + OneLine(sql) + "]");
      }
    }
    std::vector<Oid> types(n, 0);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0);
    std::vector<int> formats(n, kBinaryFormat);
    std::vector<std::array<char, 8>> integers(n);
    // A null pointer would send NULL, so empty values point here.
    static const char kEmpty[1] = {0};
    for (std::size_t i = 0; i < n; ++i) {
      const Value& param = params[i];
      if (const auto* integer = std::get_if<std::int64_t>(&param)) {
        auto bits = static_cast<std::uint64_t>(*integer);
        for (int b = 7; b >= 0; --b, bits >>= 8) integers[i][b] = static_cast<char>(bits & 0xff);
        types[i] = kInt8Oid;
        values[i] = integers[i].data();
        lengths[i] = 8;
      } else if (const auto* text = std::get_if<std::string>(&param)) {
        types[i] = kTextOid;
        values[i] = text->empty() ? kEmpty : text->data();
        lengths[i] = static_cast<int>(text->size());
      } else if (const auto* bytes = std::get_if<Bytes>(&param)) {
        types[i] = kByteaOid;
        values[i] = bytes->empty() ? kEmpty : reinterpret_cast<const char*>(bytes->data());
        lengths[i] = static_cast<int>(bytes->size());
      }  // else NULL: no type, let the server infer it
    }
    CITYCODE_ASSIGN_OR_RETURN(const char* prepared,
                              rewritten.reads_or_writes_rows ? Prepare(sql, rewritten.text, types)
                                                            : nullptr);
    PgResult result(prepared != nullptr
                        ? PQexecPrepared(pg_, prepared, static_cast<int>(n), values.data(),
                                         lengths.data(), formats.data(), kTextFormat)
                        : PQexecParams(pg_, rewritten.text.c_str(), static_cast<int>(n),
                                       types.data(), values.data(), lengths.data(),
                                       formats.data(), kTextFormat));
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return result;
    if (status == PGRES_EMPTY_QUERY)
      return Status::System(StatusCode::kInvalidArgument, "postgresql: empty statement");
    return PgError(pg_, result.get(), sql);
  }

 private:
  explicit Connection(PGconn* pg) : pg_(pg) {}

  // The name of `sql` prepared on this connection for parameters of these
  // types, preparing it on first use; null past kMaxPrepared (then it runs
  // unprepared). A prepared statement is parsed, analysed and planned once
  // per connection instead of at every run, most of a short statement's
  // cost in the server. Keyed by the types too, a character each: a NULL's
  // type is the server's guess.
  Result<const char*> Prepare(std::string_view sql, const std::string& text,
                              const std::vector<Oid>& types) {
    key_.clear();
    for (const Oid type : types) key_ += static_cast<char>('0' + type % 64);
    key_ += '|';
    key_.append(sql);
    if (const auto found = prepared_.find(key_); found != prepared_.end())
      return found->second.c_str();
    if (prepared_.size() >= kMaxPrepared) return nullptr;
    std::string name = "cc" + std::to_string(prepared_.size());
    const PgResult result(
        PQprepare(pg_, name.c_str(), text.c_str(), static_cast<int>(types.size()), types.data()));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return PgError(pg_, result.get(), sql);
    return prepared_.emplace(key_, std::move(name)).first->second.c_str();
  }

  // Bounds the server's memory for a connection whatever texts are run
  // (statements built for a count of rows come in many sizes).
  static constexpr std::size_t kMaxPrepared = 2000;

  PGconn* pg_;
  // Statement key (types | text) → its name on this connection. Emptied
  // when the connection is reset: a new session has none.
  std::unordered_map<std::string, std::string> prepared_;
  std::string key_;  // reused, so a lookup allocates nothing
};

using Pool = ConnectionPool<Connection>;

class PostgresTransaction final : public PooledTransaction<Connection> {
 public:
  PostgresTransaction(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> connection)
      : PooledTransaction(std::move(pool), std::move(connection)) {}
  ~PostgresTransaction() override { Rollback(); }

  using Transaction::Execute;
  using Transaction::Query;

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) override {
    CITYCODE_RETURN_IF_ERROR(CheckUsable());
    Result<PgResult> result = connection_->Run(sql, params);
    if (!result.ok()) return Fail(result.status());
    Result<std::vector<Row>> rows = ReadRows(result->get());
    if (!rows.ok()) return Fail(rows.status());
    return rows;
  }

  Result<std::int64_t> Execute(std::string_view sql, std::span<const Value> params) override {
    CITYCODE_RETURN_IF_ERROR(CheckUsable());
    Result<PgResult> result = connection_->Run(sql, params);
    if (!result.ok()) return Fail(result.status());
    // PQcmdTuples also counts the rows a SELECT returned, which it did not
    // change; "" for DDL.
    if (std::string_view(PQcmdStatus(result->get())).starts_with("SELECT")) return 0;
    const std::string_view count = PQcmdTuples(result->get());
    std::int64_t changed = 0;
    std::from_chars(count.data(), count.data() + count.size(), changed);
    return changed;
  }

  Status Commit() override {
    CITYCODE_RETURN_IF_ERROR(CheckUsable());
    PGconn* pg = connection_->pg();
    const PgResult result(PQexec(pg, "COMMIT"));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      // A deferred constraint or a serialisation failure; the server has
      // ended the transaction unless the connection was lost mid-commit.
      const Status error = PgError(pg, result.get(), "COMMIT");
      Rollback();
      return error;
    }
    // The server answers an aborted transaction's COMMIT with ROLLBACK.
    const bool rolled_back = std::string_view(PQcmdStatus(result.get())) == "ROLLBACK";
    pool_->Release(std::move(connection_));
    if (rolled_back)
      return Status::System(StatusCode::kAborted,
                            "postgresql: the server rolled the transaction back");
    return OkStatus();
  }

  void Rollback() override {
    if (connection_ == nullptr) return;
    PGconn* pg = connection_->pg();
    if (PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) != PQTRANS_IDLE) {
      const PgResult result(PQexec(pg, "ROLLBACK"));
    }
    // Back to the pool even if that failed: Begin repairs the connection.
    pool_->Release(std::move(connection_));
  }
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {}

  Backend backend() const override { return Backend::kPostgres; }

  // Both modes are READ COMMITTED: writers that must not race serialise by
  // updating a row first, as on SQLite.
  Result<std::unique_ptr<Transaction>> Begin(TransactionMode) override {
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, pool_->Acquire());
    if (Status begun = connection->Begin(); !begun.ok()) {
      pool_->Release(std::move(connection));
      return begun;
    }
    return std::unique_ptr<Transaction>(new PostgresTransaction(pool_, std::move(connection)));
  }

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(std::string_view url,
                                               const DatabaseOptions& options) {
  std::string url_text(url);
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url_text.c_str(), &error);
  // libpq's message may quote a piece of the URL, password included.
  PQfreemem(error);
  if (parsed == nullptr)
    return Status::System(StatusCode::kInvalidArgument, "postgresql: malformed connection URL");
  PQconninfoFree(parsed);

  auto pool = std::make_shared<Pool>(options.pool_size, options.busy_timeout,
                                     [url_text] { return Connection::Open(url_text); });
  // Connect now, so an unreachable server fails Open, not the first Begin.
  if (options.connect_whole_pool) {
    CITYCODE_RETURN_IF_ERROR(pool->OpenAll());
  } else {
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first, pool->Acquire());
    pool->Release(std::move(first));
  }
  return std::unique_ptr<Database>(new PostgresDatabase(std::move(pool)));
}

}  // namespace citycode::store::internal
