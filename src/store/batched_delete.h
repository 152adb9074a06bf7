// Purges of old rows that never hold the writer long: the rows go in
// batches, each its own write transaction.
#ifndef CITYCODE_STORE_BATCHED_DELETE_H_
#define CITYCODE_STORE_BATCHED_DELETE_H_

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace citycode::store {

// Runs `delete_sql`, a DELETE whose last parameter is a row limit, with
// `params` and then `batch`, one write transaction a run, until a run
// deletes fewer than `batch` rows. Returns the rows deleted.
Result<std::int64_t> DeleteInBatches(Database& db, std::string_view delete_sql,
                                     std::initializer_list<Value> params, std::int64_t batch);

}  // namespace citycode::store

#endif  // CITYCODE_STORE_BATCHED_DELETE_H_
