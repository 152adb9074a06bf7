#include "store/database.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "common/clock.h"
#include "store/internal/postgres.h"
#include "store/internal/sql.h"
#include "store/internal/sqlite.h"

namespace citycode::store {
namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
constexpr std::string_view kSelectAppliedVersions = "SELECT version FROM schema_migrations";
constexpr std::string_view kSelectMigrationApplied =
    "SELECT 1 FROM schema_migrations WHERE version = ?";
constexpr std::string_view kInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";
constexpr std::string_view kSelectSchemaVersion = "SELECT MAX(version) FROM schema_migrations";
// Whether schema_migrations exists, resolved the way the queries resolve it.
constexpr std::string_view kSqliteHasMigrationsTable =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
constexpr std::string_view kPostgresHasMigrationsTable =
    "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END";
// Held to the end of the transaction: migrators in other processes queue
// here instead of racing on CREATE TABLE or applying a step twice. (On
// SQLite, BEGIN IMMEDIATE already serialises them.) The key is arbitrary.
constexpr std::string_view kPostgresMigrationLock = "SELECT pg_advisory_xact_lock(7170620418)";

[[noreturn]] void WrongType(std::size_t column, const char* wanted) {
  throw std::logic_error("store::Row: column " + std::to_string(column) + " is not " + wanted);
}

Status LockMigrations(Transaction& tx, Backend backend) {
  if (backend != Backend::kPostgres) return OkStatus();
  return tx.Query(kPostgresMigrationLock).status();
}

// Creates the bookkeeping table if needed and returns the applied versions.
Result<std::set<std::int64_t>> AppliedVersions(Transaction& tx, Backend backend) {
  CITYCODE_RETURN_IF_ERROR(LockMigrations(tx, backend));
  CITYCODE_RETURN_IF_ERROR(tx.Execute(kCreateMigrationsTable).status());
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Row> rows, tx.Query(kSelectAppliedVersions));
  std::set<std::int64_t> versions;
  for (const Row& row : rows) versions.insert(row.Int(0));
  return versions;
}

Status ApplyMigration(Transaction& tx, Backend backend, const Migration& migration) {
  CITYCODE_RETURN_IF_ERROR(LockMigrations(tx, backend));
  // Another process may have applied it since we looked.
  CITYCODE_ASSIGN_OR_RETURN(std::optional<Row> applied,
                            tx.QueryOptional(kSelectMigrationApplied, {migration.version}));
  if (applied) return OkStatus();
  const std::string label =
      "migration " + std::to_string(migration.version) + " (" + migration.name + "): ";
  for (const std::string& statement : internal::SplitStatements(migration.sql)) {
    Result<std::int64_t> ran = tx.Execute(statement);
    if (!ran.ok()) return Status(ran.status().code(), label + ran.status().message());
  }
  const std::string applied_at = FormatRfc3339(SystemClock().Now());
  return tx.Execute(kInsertMigration, {migration.version, migration.name, applied_at}).status();
}

}  // namespace

bool Row::IsNull(std::size_t column) const {
  return std::holds_alternative<std::nullptr_t>(values_.at(column));
}

std::int64_t Row::Int(std::size_t column) const {
  const auto* value = std::get_if<std::int64_t>(&values_.at(column));
  if (value == nullptr) WrongType(column, "an integer");
  return *value;
}

const std::string& Row::Text(std::size_t column) const {
  const auto* value = std::get_if<std::string>(&values_.at(column));
  if (value == nullptr) WrongType(column, "text");
  return *value;
}

const Bytes& Row::Blob(std::size_t column) const {
  const auto* value = std::get_if<Bytes>(&values_.at(column));
  if (value == nullptr) WrongType(column, "bytes");
  return *value;
}

std::optional<std::int64_t> Row::OptionalInt(std::size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::optional<std::string> Row::OptionalText(std::size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

Result<Row> Transaction::QueryOne(std::string_view sql, std::span<const Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(std::optional<Row> row, QueryOptional(sql, params));
  if (!row) return Status::System(StatusCode::kNotFound, "no row [" + internal::OneLine(sql) + "]");
  return std::move(*row);
}

Result<std::optional<Row>> Transaction::QueryOptional(std::string_view sql,
                                                      std::span<const Value> params) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Row> rows, Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  if (rows.size() > 1) {
    return Status::System(StatusCode::kInternal, "expected at most one row, got " +
                                                     std::to_string(rows.size()) + " [" +
                                                     internal::OneLine(sql) + "]");
  }
  return std::optional<Row>(std::move(rows.front()));
}

Result<std::unique_ptr<Database>> Database::Open(std::string_view url,
                                                 const DatabaseOptions& options) {
  if (url.starts_with("sqlite:")) return internal::OpenSqlite(url.substr(7), options);
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return internal::OpenPostgres(url, options);
  }
  // Not echoed: an unrecognised string may still hold a password.
  return Status::System(StatusCode::kInvalidArgument,
                        "database URL must start with sqlite: or postgresql://");
}

Status Database::Migrate(std::span<const Migration> migrations) {
  std::vector<const Migration*> steps;
  for (const Migration& migration : migrations) steps.push_back(&migration);
  std::sort(steps.begin(), steps.end(),
            [](const Migration* a, const Migration* b) { return a->version < b->version; });
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i]->version <= 0)
      return Status::System(StatusCode::kInvalidArgument, "migration versions start at 1");
    if (i > 0 && steps[i]->version == steps[i - 1]->version) {
      return Status::System(StatusCode::kInvalidArgument,
                            "two migrations have version " + std::to_string(steps[i]->version));
    }
  }
  // Each module numbers its migrations in its own block of kMigrationBlock
  // versions (platform 1-999, vault 1000-1999, ...), so modules above
  // migrate the same database independently.
  const std::int64_t newest = steps.empty() ? 0 : steps.back()->version;
  const std::int64_t block = newest / kMigrationBlock;
  if (!steps.empty() && steps.front()->version / kMigrationBlock != block) {
    return Status::System(StatusCode::kInvalidArgument,
                          "migrations of one call must lie in one block of " +
                              std::to_string(kMigrationBlock) + " versions");
  }

  std::set<std::int64_t> applied;
  CITYCODE_RETURN_IF_ERROR(RunInTransaction(*this, TransactionMode::kWrite, [&](Transaction& tx) {
    Result<std::set<std::int64_t>> versions = AppliedVersions(tx, backend());
    if (!versions.ok()) return versions.status();
    applied = std::move(*versions);
    return OkStatus();
  }));
  auto newest_applied = applied.lower_bound((block + 1) * kMigrationBlock);
  if (newest_applied != applied.begin() && *std::prev(newest_applied) > newest &&
      *std::prev(newest_applied) / kMigrationBlock == block) {
    return Status::System(StatusCode::kFailedPrecondition,
                          "the database schema is at version " +
                              std::to_string(*std::prev(newest_applied)) +
                              ", newer than this program's " + std::to_string(newest));
  }
  for (const Migration* step : steps) {
    if (applied.contains(step->version)) continue;
    CITYCODE_RETURN_IF_ERROR(RunInTransaction(*this, TransactionMode::kWrite, [&](Transaction& tx) {
      return ApplyMigration(tx, backend(), *step);
    }));
  }
  return OkStatus();
}

Status Database::Ping() {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, Begin(TransactionMode::kRead));
  return tx->Query("SELECT 1").status();
}

Result<int> Database::SchemaVersion() {
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx, Begin(TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      Row exists, tx->QueryOne(backend() == Backend::kPostgres ? kPostgresHasMigrationsTable
                                                               : kSqliteHasMigrationsTable));
  if (exists.Int(0) == 0) return 0;
  CITYCODE_ASSIGN_OR_RETURN(Row row, tx->QueryOne(kSelectSchemaVersion));
  return static_cast<int>(row.OptionalInt(0).value_or(0));
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  std::size_t query = out.find('?');
  // scheme://user:password@host…: the password is between the first ':'
  // and the last '@' of the authority.
  if (const std::size_t scheme = out.find("://"); scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    std::size_t end = out.find_first_of("/?#", start);
    if (end == std::string::npos) end = out.size();
    const std::size_t at = out.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = out.find(':', start);
      if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    query = out.find('?', start);
  }
  // libpq also takes password=… as a query parameter.
  while (query != std::string::npos) {
    const std::size_t key = query + 1;
    std::size_t next = out.find('&', key);
    const std::size_t end = next == std::string::npos ? out.size() : next;
    constexpr std::string_view kPassword = "password=";
    if (std::string_view(out).substr(key, end - key).starts_with(kPassword)) {
      out.replace(key + kPassword.size(), end - key - kPassword.size(), "***");
      next = out.find('&', key);
    }
    query = next;
  }
  return out;
}

}  // namespace citycode::store
