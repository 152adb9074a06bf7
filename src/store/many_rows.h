// Writing or looking up many rows with few statements: each statement is a
// B-tree descent and a round through the store, so a bulk path pays one
// per hundred rows instead of one per row.
#ifndef CITYCODE_STORE_MANY_ROWS_H_
#define CITYCODE_STORE_MANY_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace citycode::store {

// Rows per statement: 100 rows of 10 columns stay far below both backends'
// limits on parameters.
inline constexpr std::size_t kRowsPerStatement = 100;

// "?, ?, ?": `n` placeholders.
std::string Marks(std::size_t n);
// "(?, ?), (?, ?)": `rows` groups of `columns` placeholders.
std::string Placeholders(std::size_t rows, std::size_t columns);

// Appends one row's values to `values` (InsertRows' argument), moved in.
template <typename... Values>
void AppendRow(std::vector<Value>& values, Values&&... row) {
  (values.emplace_back(std::forward<Values>(row)), ...);
}

// Runs `head` + Placeholders + `tail` (e.g. "INSERT INTO t (a, b) VALUES",
// " ON CONFLICT (a) DO NOTHING") over `values`, `columns` of them per row:
// kRowsPerStatement rows a statement, the rest in statements of
// power-of-two sizes, so that at most eight texts reach each connection's
// statement cache. Returns the rows changed.
Result<std::int64_t> InsertRows(Transaction& tx, std::string_view head, std::size_t columns,
                                std::span<const Value> values, std::string_view tail = "");

}  // namespace citycode::store

#endif  // CITYCODE_STORE_MANY_ROWS_H_
