#include "store/batched_delete.h"

#include <algorithm>
#include <vector>

namespace citycode::store {

Result<std::int64_t> DeleteInBatches(Database& db, std::string_view delete_sql,
                                     std::initializer_list<Value> params, std::int64_t batch) {
  std::vector<Value> bound(params.size() + 1, Value(batch));
  std::copy(params.begin(), params.end(), bound.begin());
  std::int64_t total = 0;
  for (std::int64_t deleted = batch; deleted == batch;) {
    CITYCODE_RETURN_IF_ERROR(
        RunInTransaction(db, TransactionMode::kWrite, [&](Transaction& tx) -> Status {
          CITYCODE_ASSIGN_OR_RETURN(deleted, tx.Execute(delete_sql, bound));
          return OkStatus();
        }));
    total += deleted;
  }
  return total;
}

}  // namespace citycode::store
