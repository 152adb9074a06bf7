// The SQLite backend of store::Database.
#ifndef CITYCODE_STORE_INTERNAL_SQLITE_H_
#define CITYCODE_STORE_INTERNAL_SQLITE_H_

#include <memory>
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace citycode::store::internal {

// Opens (creating if missing) the database file at `path` in WAL mode with
// foreign keys on. invalid_argument for an empty path or ":memory:" (every
// pooled connection would see its own empty database); unavailable when the
// file cannot be opened.
Result<std::unique_ptr<Database>> OpenSqlite(std::string_view path, const DatabaseOptions& options);

}  // namespace citycode::store::internal

#endif  // CITYCODE_STORE_INTERNAL_SQLITE_H_
