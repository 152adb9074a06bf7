#include "api/figures.h"

#include <algorithm>
#include <vector>

namespace citycode::api {

Result<nlohmann::json> CountsSince(store::Database& db, std::string_view sql, Instant since,
                                   std::span<const std::string_view> names) {
  const std::vector<store::Value> params(std::count(sql.begin(), sql.end(), '?'),
                                         store::Time(since));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(store::Row row, tx->QueryOne(sql, params));
  if (row.size() != names.size()) return Internal("dashboard figures: a column without a name");
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < names.size(); ++i) out[std::string(names[i])] = row.Int(i);
  return out;
}

}  // namespace citycode::api
