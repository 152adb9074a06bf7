#include "store/many_rows.h"

#include <bit>

namespace citycode::store {

std::string Marks(std::size_t n) {
  std::string out = n == 0 ? "" : "?";
  for (std::size_t i = 1; i < n; ++i) out += ", ?";
  return out;
}

std::string Placeholders(std::size_t rows, std::size_t columns) {
  const std::string group = "(" + Marks(columns) + ")";
  std::string out = rows == 0 ? "" : group;
  for (std::size_t r = 1; r < rows; ++r) out += ", " + group;
  return out;
}

Result<std::int64_t> InsertRows(Transaction& tx, std::string_view head, std::size_t columns,
                                std::span<const Value> values, std::string_view tail) {
  if (columns == 0 || values.size() % columns != 0) {
    return Status::System(
        StatusCode::kInvalidArgument,
        "InsertRows: the values are not whole rows of " + std::to_string(columns) + " columns");
  }
  std::int64_t changed = 0;
  for (std::size_t left = values.size() / columns; left > 0;) {
    const std::size_t rows = left >= kRowsPerStatement ? kRowsPerStatement : std::bit_floor(left);
    const std::string sql =
        std::string(head) + " " + Placeholders(rows, columns) + std::string(tail);
    CITYCODE_ASSIGN_OR_RETURN(std::int64_t n, tx.Execute(sql, values.first(rows * columns)));
    changed += n;
    values = values.subspan(rows * columns);
    left -= rows;
  }
  return changed;
}

}  // namespace citycode::store
