// What the embedded database holds in memory, for the server's /metrics.
#ifndef CITYCODE_STORE_MEMORY_H_
#define CITYCODE_STORE_MEMORY_H_

#include <cstdint>

namespace citycode::store {

// Bytes SQLite has allocated in this process (page caches, prepared
// statements, schemas): sqlite3_memory_used(). 0 when no SQLite database
// is open.
std::int64_t SqliteMemoryUsed();

}  // namespace citycode::store

#endif  // CITYCODE_STORE_MEMORY_H_
