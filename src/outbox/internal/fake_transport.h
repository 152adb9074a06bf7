// A Transport for the outbox's own tests: records every request, answers
// what the test says, and notices two sends of one event at once.
#ifndef CITYCODE_OUTBOX_INTERNAL_FAKE_TRANSPORT_H_
#define CITYCODE_OUTBOX_INTERNAL_FAKE_TRANSPORT_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "outbox/transport.h"

namespace citycode::outbox::internal {

struct SentWebhook {
  std::string destination, id;
  nlohmann::json body;
  WebhookRequest request;
};

class FakeTransport {
 public:
  using Answer = std::function<Result<WebhookReply>(const WebhookRequest&)>;

  // A Transport that forwards here (the Outbox owns it; the test keeps this).
  std::unique_ptr<Transport> Forwarder() {
    struct Forward final : Transport {
      FakeTransport* fake;
      explicit Forward(FakeTransport* f) : fake(f) {}
      Result<WebhookReply> Post(const WebhookRequest& request) override {
        return fake->Post(request);
      }
    };
    return std::make_unique<Forward>(this);
  }

  void Answer204() {
    SetAnswer([](const WebhookRequest&) { return WebhookReply{.status = 204}; });
  }
  void AnswerStatus(int status, std::string retry_after = {}) {
    SetAnswer([status, retry_after](const WebhookRequest&) {
      return WebhookReply{.status = status, .retry_after = retry_after};
    });
  }
  void SetAnswer(Answer answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }

  Result<WebhookReply> Post(const WebhookRequest& request) {
    std::string id;
    for (const auto& [name, value] : request.headers) {
      if (name == "webhook-id") id = value;
    }
    Answer answer;
    {
      std::lock_guard lock(mutex_);
      if (!in_flight_.insert(id).second) ++overlaps_;
      sent_.push_back({.destination = request.destination,
                       .id = id,
                       .body = nlohmann::json::parse(request.body, nullptr, false),
                       .request = request});
      answer = answer_;
    }
    sent_cv_.notify_all();
    Result<WebhookReply> reply = answer ? answer(request) : WebhookReply{.status = 204};
    std::lock_guard lock(mutex_);
    in_flight_.erase(id);
    return reply;
  }

  std::vector<SentWebhook> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  // Waits until `count` requests were sent (true) or `limit` passed.
  bool WaitForSent(std::size_t count, std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return sent_cv_.wait_for(lock, limit, [&] { return sent_.size() >= count; });
  }
  // How often an event was sent while another send of it was in flight.
  int overlaps() const {
    std::lock_guard lock(mutex_);
    return overlaps_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable sent_cv_;
  Answer answer_;
  std::vector<SentWebhook> sent_;
  std::set<std::string> in_flight_;
  int overlaps_ = 0;
};

}  // namespace citycode::outbox::internal

#endif  // CITYCODE_OUTBOX_INTERNAL_FAKE_TRANSPORT_H_
