// Webhooks over HTTP/1.1 (transport.h) with Boost.Beast. Each try runs
// Beast's asynchronous operations on the connection's own io_context under
// one deadline, so the destination's timeout bounds connect, write and read
// together (synchronous Beast calls would wait for a stalled receiver
// forever, and the relay's claim must not outlive its try). The deadline is
// the steady clock's: a network timeout, not a domain time. Name
// resolution is blocking and outside it (destinations are usually
// addresses; a host name needs a resolver that answers). Idle keep-alive
// connections are kept per host and reused; a reused one that turns out
// closed is retried once on a fresh connection (the receiver never saw the
// request).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>

#include "outbox/transport.h"

namespace citycode::outbox {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::size_t kMaxIdlePerHost = 16;
constexpr std::size_t kMaxReplyBytes = 64 * 1024;

struct Target {
  std::string host, port, path;
  std::string key() const { return host + ":" + port; }
};

Target Parse(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  std::string_view rest = url.substr(std::min(url.size(), kScheme.size()));
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::size_t colon = authority.rfind(':');
  Target target{.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash))};
  target.host = std::string(authority.substr(0, colon));
  target.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  return target;
}

using Deadline = std::chrono::steady_clock::time_point;

struct Connection {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool connected = false;

  // Runs the operation started by `start` to completion or the deadline.
  template <typename Start>
  beast::error_code Run(Deadline deadline, Start&& start) {
    beast::error_code result = net::error::operation_aborted;
    stream.expires_at(deadline);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  Status Connect(const Target& target, Deadline deadline) {
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(target.host, target.port, ec);
    if (ec) return Unavailable("cannot resolve the destination host: " + ec.message());
    ec = Run(deadline, [&](auto handler) { stream.async_connect(endpoints, handler); });
    if (ec) return Unavailable("cannot connect: " + ec.message());
    stream.socket().set_option(tcp::no_delay(true), ec);
    connected = true;
    return OkStatus();
  }

  // `closed_before_answer`: the peer closed without reading or answering
  // (a stale keep-alive connection).
  Result<WebhookReply> Exchange(http::request<http::string_body>& request, Deadline deadline,
                                bool& closed_before_answer) {
    beast::error_code ec =
        Run(deadline, [&](auto handler) { http::async_write(stream, request, handler); });
    if (ec) {
      closed_before_answer = true;
      return Unavailable("cannot send: " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    ec = Run(deadline, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
    if (ec) {
      closed_before_answer = ec == http::error::end_of_stream || ec == net::error::eof ||
                             ec == net::error::connection_reset;
      if (ec == beast::error::timeout) return Unavailable("no answer in time");
      return Unavailable("no answer: " + ec.message());
    }
    const auto& response = parser.get();
    if (!response.keep_alive()) connected = false;
    return WebhookReply{.status = static_cast<int>(response.result_int()),
                        .retry_after = std::string(response[http::field::retry_after])};
  }
};

class HttpTransport final : public Transport {
 public:
  Result<WebhookReply> Post(const WebhookRequest& webhook) override {
    const Target target = Parse(webhook.url);
    http::request<http::string_body> request(http::verb::post, target.path, 11);
    request.set(http::field::host, target.key());
    request.set(http::field::user_agent, "citycode-outbox");
    for (const auto& [name, value] : webhook.headers) request.set(name, value);
    request.body() = webhook.body;
    request.keep_alive(true);
    request.prepare_payload();

    // One deadline for the whole try, the retry on a fresh connection
    // included: the relay's claim lease counts on it.
    const Deadline deadline = std::chrono::steady_clock::now() + webhook.timeout;
    std::unique_ptr<Connection> connection = Take(target.key());
    const bool reused = connection != nullptr;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (connection == nullptr) {
        connection = std::make_unique<Connection>();
        CITYCODE_RETURN_IF_ERROR(connection->Connect(target, deadline));
      }
      bool closed_before_answer = false;
      auto reply = connection->Exchange(request, deadline, closed_before_answer);
      if (reply.ok()) {
        if (connection->connected) Return(target.key(), std::move(connection));
        return reply;
      }
      connection.reset();
      if (!(reused && attempt == 0 && closed_before_answer)) return reply.status();
    }
    return Unavailable("no answer");
  }

 private:
  std::unique_ptr<Connection> Take(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[key];
    if (idle.empty()) return nullptr;
    auto connection = std::move(idle.back());
    idle.pop_back();
    return connection;
  }

  void Return(const std::string& key, std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[key];
    if (idle.size() < kMaxIdlePerHost) idle.push_back(std::move(connection));
  }

  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

}  // namespace

std::unique_ptr<Transport> MakeHttpTransport() { return std::make_unique<HttpTransport>(); }

}  // namespace citycode::outbox
