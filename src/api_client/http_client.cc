#include "api_client/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace citycode::api_client {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::size_t kMaxReplyBytes = 32 * 1024 * 1024;

}  // namespace

std::string_view HttpReply::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

struct HttpClient::Impl {
  std::string host, port;
  std::chrono::milliseconds timeout;
  net::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  Status Connect() {
    stream.emplace(io);
    buffer.clear();
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return Unavailable("cannot resolve " + host + ": " + ec.message());
    stream->expires_after(timeout);
    stream->connect(endpoints, ec);
    if (ec) return Unavailable("cannot connect to " + host + ":" + port + ": " + ec.message());
    stream->socket().set_option(tcp::no_delay(true));
    return OkStatus();
  }

  // One exchange on the open connection; `retryable` when the server had
  // closed it before answering (a stale keep-alive connection).
  Result<HttpReply> Exchange(http::request<http::string_body>& request, bool& retryable) {
    beast::error_code ec;
    stream->expires_after(timeout);
    http::write(*stream, request, ec);
    if (ec) {
      retryable = true;
      return Unavailable("cannot send the request: " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    if (request.method() == http::verb::head) parser.skip(true);
    http::read(*stream, buffer, parser, ec);
    if (ec) {
      retryable = ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                  ec == net::error::eof;
      return Unavailable("no answer from the server: " + ec.message());
    }
    auto& response = parser.get();
    HttpReply reply{.status = static_cast<int>(response.result_int()), .body = response.body()};
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    if (!response.keep_alive()) stream.reset();
    return reply;
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view base_url,
                                                       std::chrono::milliseconds timeout) {
  constexpr std::string_view kScheme = "http://";
  if (!base_url.starts_with(kScheme)) return InvalidArgument("server URL must start with http://");
  std::string_view authority = base_url.substr(kScheme.size());
  if (authority.ends_with('/')) authority.remove_suffix(1);
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == authority.size() ||
      authority.find('/') != std::string_view::npos) {
    return InvalidArgument("server URL must be http://host:port");
  }
  auto impl = std::make_unique<Impl>();
  impl->host = std::string(authority.substr(0, colon));
  impl->port = std::string(authority.substr(colon + 1));
  impl->timeout = timeout;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<HttpReply> HttpClient::Send(
    std::string_view method, std::string_view target, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  const http::verb verb = http::string_to_verb({method.data(), method.size()});
  if (verb == http::verb::unknown) return InvalidArgument("unknown HTTP method");
  http::request<http::string_body> request(verb, std::string(target), 11);
  request.set(http::field::host, impl_->host + ":" + impl_->port);
  request.keep_alive(true);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    if (!impl_->stream) CITYCODE_RETURN_IF_ERROR(impl_->Connect());
    bool retryable = false;
    auto reply = impl_->Exchange(request, retryable);
    if (reply.ok()) return reply;
    impl_->stream.reset();
    if (!retryable || attempt > 0) return reply.status();
  }
}

}  // namespace citycode::api_client
