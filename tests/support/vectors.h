// Finds ../shared/vectors for conformance tests and reads its JSON files.
// The directory is CITYCODE_VECTORS from the environment (CTest sets it), or
// else the CMake cache's CITYCODE_VECTORS_DIR compiled in, so that listing
// the tests (which gtest_discover_tests does without CTest's environment)
// sees the same files as running them.
#ifndef CITYCODE_TESTS_SUPPORT_VECTORS_H_
#define CITYCODE_TESTS_SUPPORT_VECTORS_H_

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace citycode::testing {

inline std::filesystem::path VectorsDir() {
  const char* dir = std::getenv("CITYCODE_VECTORS");
  if (dir != nullptr && *dir != '\0') return dir;
  return CITYCODE_VECTORS_DEFAULT;
}

// The .json files below VectorsDir()/`subdir`, relative to VectorsDir(),
// sorted; empty if the folder is missing (the tests then fail on counts).
inline std::vector<std::string> JsonFilesUnder(const std::string& subdir) {
  const std::filesystem::path root = VectorsDir();
  std::vector<std::string> files;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(root / subdir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") {
      files.push_back(std::filesystem::relative(it->path(), root).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline nlohmann::json LoadVectorJson(const std::filesystem::path& relative) {
  const auto path = VectorsDir() / relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_VECTORS_H_
