// Text messages to citizens' phones: one-time codes and notices. The
// operator's SMS gateway ([sms] of citycode.toml) takes them over HTTP; the
// demo city and the tests keep them in an Inbox instead. A message's text is
// personal (a code is a secret): it is never logged, and errors never quote
// it or the phone number.
#ifndef CITYCODE_SMS_GATEWAY_H_
#define CITYCODE_SMS_GATEWAY_H_

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace citycode::sms {

struct Message {
  std::string phone;  // 11-digit mobile number
  std::string text;
};

class Gateway {
 public:
  virtual ~Gateway() = default;
  // unavailable when the message could not be handed over.
  virtual Status Send(const Message& message) = 0;
};

// POSTs {"phone", "text"} as JSON to `url` ("http://host:port/path": the
// operator's SMS platform on its own network, or a relay to it) with
// "Authorization: Bearer <token>"; a 2xx answer is a handed-over message.
// invalid_argument for a URL that is not http://host:port[/path].
Result<std::unique_ptr<Gateway>> MakeHttpGateway(
    std::string_view url, std::string token,
    std::chrono::milliseconds timeout = std::chrono::seconds(3));

// Keeps the last messages in memory, for the demo (served to its admin)
// and the tests. Thread-safe.
class Inbox final : public Gateway {
 public:
  explicit Inbox(std::size_t capacity = 1000) : capacity_(capacity) {}
  Status Send(const Message& message) override;
  // The messages to `phone`, oldest first.
  std::vector<std::string> To(std::string_view phone) const;
  // The last one-time code sent to `phone` (the first run of 6 digits in
  // its last message that has one).
  std::optional<std::string> LastCode(std::string_view phone) const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Message> messages_;
};

}  // namespace citycode::sms

#endif  // CITYCODE_SMS_GATEWAY_H_
