// The PostgreSQL backend of store::Database (libpq).
#ifndef CITYCODE_STORE_INTERNAL_POSTGRES_H_
#define CITYCODE_STORE_INTERNAL_POSTGRES_H_

#include <memory>
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace citycode::store::internal {

// Connects to the server at `url` (a libpq connection URI, passed on as it
// is). invalid_argument for a malformed URL, unavailable when the server
// cannot be reached or refuses the login.
Result<std::unique_ptr<Database>> OpenPostgres(std::string_view url,
                                               const DatabaseOptions& options);

}  // namespace citycode::store::internal

#endif  // CITYCODE_STORE_INTERNAL_POSTGRES_H_
