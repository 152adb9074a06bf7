// Finds ../shared/vectors for conformance tests (CITYCODE_VECTORS, set by
// CTest) and reads its JSON files.
#ifndef CITYCODE_TESTS_SUPPORT_VECTORS_H_
#define CITYCODE_TESTS_SUPPORT_VECTORS_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace citycode::testing {

inline std::filesystem::path VectorsDir() {
  const char* dir = std::getenv("CITYCODE_VECTORS");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("CITYCODE_VECTORS is not set (run the tests through ctest)");
  }
  return dir;
}

inline nlohmann::json LoadVectorJson(const std::filesystem::path& relative) {
  const auto path = VectorsDir() / relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_VECTORS_H_
