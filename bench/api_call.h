// What the HTTP benchmark tools (citycode_http_bench, citycode_soak) share:
// one API call whose answer must be the expected one, or the tool stops.
#ifndef CITYCODE_BENCH_API_CALL_H_
#define CITYCODE_BENCH_API_CALL_H_

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_client/http_client.h"
#include "tool_args.h"

namespace citycode::bench {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One API call that must answer `expected`; its JSON answer.
inline nlohmann::json Call(api_client::HttpClient& client, std::string_view method,
                           std::string_view target, const nlohmann::json& body,
                           const Headers& headers, int expected, std::string_view what) {
  auto reply = Check(client.Send(method, target, body.is_null() ? "" : body.dump(), headers), what);
  if (reply.status != expected) {
    // The error answer names a machine code, never personal data.
    throw std::runtime_error(std::string(what) + ": HTTP " + std::to_string(reply.status) + " " +
                             reply.body);
  }
  return nlohmann::json::parse(reply.body);
}

}  // namespace citycode::bench

#endif  // CITYCODE_BENCH_API_CALL_H_
