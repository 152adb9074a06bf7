// What the benchmark helper tools (citycode_http_bench,
// citycode_outbox_bench) share: "--name value" arguments, and a result that
// must be ok or the tool stops with its message.
#ifndef CITYCODE_BENCH_TOOL_ARGS_H_
#define CITYCODE_BENCH_TOOL_ARGS_H_

#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/status.h"

namespace citycode::bench {

struct Args {
  std::map<std::string, std::string> values;

  std::string Get(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) throw std::runtime_error("missing --" + name);
    return it->second;
  }
  long GetInt(const std::string& name, long fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : std::stol(it->second);
  }
};

// argv[2…] as "--name value" pairs; nullopt (and a line on stderr) otherwise.
inline std::optional<Args> ParseArgs(int argc, char** argv, std::string_view tool) {
  Args args;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    if (!name.starts_with("--")) {
      std::cerr << tool << ": expected --name value, got " << name << "\n";
      return std::nullopt;
    }
    args.values[name.substr(2)] = argv[i + 1];
  }
  if (argc % 2 != 0) {
    std::cerr << tool << ": option " << argv[argc - 1] << " has no value\n";
    return std::nullopt;
  }
  return args;
}

template <typename T>
T Check(Result<T> result, std::string_view what) {
  if (!result.ok()) throw std::runtime_error(std::string(what) + ": " + result.status().ToString());
  return std::move(*result);
}

inline void Check(const Status& status, std::string_view what) {
  if (!status.ok()) throw std::runtime_error(std::string(what) + ": " + status.ToString());
}

}  // namespace citycode::bench

#endif  // CITYCODE_BENCH_TOOL_ARGS_H_
