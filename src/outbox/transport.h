// How a relay sends one webhook: an interface, so tests drive every answer
// (500, 429 with Retry-After, 410, a dropped connection) without a network.
#ifndef CITYCODE_OUTBOX_TRANSPORT_H_
#define CITYCODE_OUTBOX_TRANSPORT_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace citycode::outbox {

struct WebhookRequest {
  std::string destination;  // its name, e.g. to keep a connection per destination
  std::string url;          // http://host[:port]/path
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::seconds timeout{15};
};

struct WebhookReply {
  int status = 0;
  std::string retry_after;  // the Retry-After header, if any
};

class Transport {
 public:
  virtual ~Transport() = default;
  // POSTs the request. unavailable when no HTTP answer came (refused,
  // dropped, timed out). Thread-safe: a relay sends on several streams at once.
  virtual Result<WebhookReply> Post(const WebhookRequest& request) = 0;
};

// HTTP/1.1 over TCP (Boost.Beast), keep-alive connections kept per
// destination and reused.
std::unique_ptr<Transport> MakeHttpTransport();

}  // namespace citycode::outbox

#endif  // CITYCODE_OUTBOX_TRANSPORT_H_
