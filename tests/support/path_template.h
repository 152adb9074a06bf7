// Route paths as the OpenAPI document lists them ("/v1/orgs/{org}/sites"),
// made into request targets for the matrix tests.
#ifndef CITYCODE_TESTS_SUPPORT_PATH_TEMPLATE_H_
#define CITYCODE_TESTS_SUPPORT_PATH_TEMPLATE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace citycode::testing {

// `path` with each {name} replaced by value(name).
inline std::string FillPath(std::string_view path,
                            const std::function<std::string(std::string_view name)>& value) {
  std::string target;
  for (std::size_t i = 0; i < path.size();) {
    const std::size_t open = path.find('{', i);
    const std::size_t close = open == std::string_view::npos ? open : path.find('}', open);
    if (close == std::string_view::npos) {
      target += path.substr(i);
      break;
    }
    target += path.substr(i, open - i);
    target += value(path.substr(open + 1, close - open - 1));
    i = close + 1;
  }
  return target;
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_PATH_TEMPLATE_H_
