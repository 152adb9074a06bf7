// A small blocking HTTP/1.1 client (Boost.Beast) for terminals, the
// simulator and tests: one keep-alive connection to one server, reopened
// once if the server closed it.
#ifndef CITYCODE_API_CLIENT_HTTP_CLIENT_H_
#define CITYCODE_API_CLIENT_HTTP_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace citycode::api_client {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string_view Header(std::string_view name) const;
};

class HttpClient {
 public:
  // `base_url` is "http://host:port" (no TLS here: terminals reach the
  // platform through the operator's TLS terminator). invalid_argument
  // otherwise.
  static Result<std::unique_ptr<HttpClient>> Create(
      std::string_view base_url, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();

  // unavailable when the server cannot be reached or the exchange fails.
  Result<HttpReply> Send(std::string_view method, std::string_view target,
                         std::string_view body = {},
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::api_client

#endif  // CITYCODE_API_CLIENT_HTTP_CLIENT_H_
