// libFuzzer target: an HTTP request target as the server's core splits it
// (server/internal/target.h): the path kept encoded, the query decoded. It
// must never crash; an accepted target is origin-form and its path holds no
// '?', else abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "server/internal/target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  std::string path;
  std::map<std::string, std::string> query;
  if (!citycode::server::internal::ParseTarget(target, &path, &query)) return 0;
  if (path.empty() || path.front() != '/' || path.find('?') != std::string::npos) {
    std::fprintf(stderr, "fuzz_target: an accepted target's path is %s\n", path.c_str());
    std::abort();
  }
  return 0;
}
