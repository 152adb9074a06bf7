#include "sms/gateway.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "api_client/http_client.h"

namespace citycode::sms {
namespace {

class HttpGateway final : public Gateway {
 public:
  HttpGateway(std::string base_url, std::string path, std::string token,
              std::chrono::milliseconds timeout)
      : base_url_(std::move(base_url)),
        path_(std::move(path)),
        token_(std::move(token)),
        timeout_(timeout) {}

  Status Send(const Message& message) override {
    // A connection per message: codes are few, and the client is not
    // shared between threads.
    CITYCODE_ASSIGN_OR_RETURN(auto client, api_client::HttpClient::Create(base_url_, timeout_));
    const std::string body =
        nlohmann::json{{"phone", message.phone}, {"text", message.text}}.dump();
    auto reply =
        client->Send("POST", path_, body,
                     {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token_}});
    if (!reply.ok()) return Unavailable("the SMS gateway cannot be reached");
    if (reply->status < 200 || reply->status > 299) {
      return Unavailable("the SMS gateway answered " + std::to_string(reply->status));
    }
    return OkStatus();
  }

 private:
  const std::string base_url_, path_, token_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace

Result<std::unique_ptr<Gateway>> MakeHttpGateway(std::string_view url, std::string token,
                                                 std::chrono::milliseconds timeout) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme) || url.size() == kScheme.size()) {
    return InvalidArgument("[sms] url must be http://host:port[/path]");
  }
  const std::size_t slash = url.find('/', kScheme.size());
  const std::string base(url.substr(0, slash));
  const std::string path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  CITYCODE_RETURN_IF_ERROR(api_client::HttpClient::Create(base, timeout).status());
  return std::unique_ptr<Gateway>(new HttpGateway(base, path, std::move(token), timeout));
}

Status Inbox::Send(const Message& message) {
  std::lock_guard lock(mu_);
  if (messages_.size() == capacity_) messages_.pop_front();
  messages_.push_back(message);
  return OkStatus();
}

std::vector<std::string> Inbox::To(std::string_view phone) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const Message& m : messages_) {
    if (m.phone == phone) out.push_back(m.text);
  }
  return out;
}

std::optional<std::string> Inbox::LastCode(std::string_view phone) const {
  const std::vector<std::string> texts = To(phone);
  for (auto text = texts.rbegin(); text != texts.rend(); ++text) {
    for (std::size_t i = 0; i + 6 <= text->size(); ++i) {
      const auto digits = std::string_view(*text).substr(i, 6);
      const bool all = std::all_of(digits.begin(), digits.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
      const bool bounded =
          (i == 0 || !std::isdigit(static_cast<unsigned char>((*text)[i - 1]))) &&
          (i + 6 == text->size() || !std::isdigit(static_cast<unsigned char>((*text)[i + 6])));
      if (all && bounded) return std::string(digits);
    }
  }
  return std::nullopt;
}

}  // namespace citycode::sms
