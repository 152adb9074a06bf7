#include "server/internal/log.h"

#include <cstdio>
#include <string>

namespace citycode::server::internal {

void LogError(std::string_view what, std::string_view detail) {
  std::string line = "citycode server: ";
  line += what;
  if (!detail.empty()) {
    line += ": ";
    line += detail;
  }
  // One line per event: a newline inside the detail would forge a log line.
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace citycode::server::internal
