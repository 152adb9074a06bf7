// A scene's figures for the operator's dashboard (Scene::Dashboard): counts
// read in one statement and named.
#ifndef CITYCODE_API_FIGURES_H_
#define CITYCODE_API_FIGURES_H_

#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "store/database.h"

namespace citycode::api {

// Runs `sql`, one row of integer columns whose every `?` is `since`, and
// answers {names[i]: column i}.
Result<nlohmann::json> CountsSince(store::Database& db, std::string_view sql, Instant since,
                                   std::span<const std::string_view> names);

}  // namespace citycode::api

#endif  // CITYCODE_API_FIGURES_H_
