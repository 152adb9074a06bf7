// The OpenAPI 3.0 document of the routes the server serves.
#ifndef CITYCODE_SERVER_INTERNAL_OPENAPI_H_
#define CITYCODE_SERVER_INTERNAL_OPENAPI_H_

#include <nlohmann/json.hpp>
#include <vector>

#include "api/route.h"

namespace citycode::server::internal {

nlohmann::json OpenApiDocument(const std::vector<api::RouteSpec>& routes);

}  // namespace citycode::server::internal

#endif  // CITYCODE_SERVER_INTERNAL_OPENAPI_H_
