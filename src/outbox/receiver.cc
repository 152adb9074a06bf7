// The test and demo webhook receiver (receiver.h): one thread accepts, one
// thread per connection (at most 64) reads requests with Beast's size
// limits, answers and closes on any error. A client that connects and
// sends nothing holds its thread until it leaves or the receiver stops: a
// test tool on loopback, not a server for the open network. Stored lines are appended with write(2)
// on an O_APPEND descriptor and fsync'd before the answer, so a 2xx means "on disk".
#include "outbox/receiver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <fstream>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

namespace citycode::outbox {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxConnections = 64;
constexpr std::size_t kMaxStoreFileBytes = 256 * 1024 * 1024;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response Answer(const Request& request, http::status status, std::string body = {}) {
  Response response(status, request.version());
  response.keep_alive(request.keep_alive());
  if (!body.empty()) response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Result<tcp::endpoint> ParseListen(std::string_view listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("--listen must be HOST:PORT");
  }
  boost::system::error_code ec;
  const auto address = net::ip::make_address(std::string(listen.substr(0, colon)), ec);
  int port = -1;
  try {
    port = std::stoi(std::string(listen.substr(colon + 1)));
  } catch (const std::exception&) {
    port = -1;
  }
  if (ec || port < 0 || port > 65535) return InvalidArgument("--listen must be HOST:PORT");
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

}  // namespace

Result<ReceiverFault> ReceiverFaultFromName(std::string_view name) {
  if (name == "none") return ReceiverFault::kNone;
  if (name == "drop") return ReceiverFault::kDrop;
  if (name == "500") return ReceiverFault::kError500;
  if (name == "429") return ReceiverFault::kTooMany429;
  if (name == "410") return ReceiverFault::kGone410;
  if (name == "stall") return ReceiverFault::kStall;
  return InvalidArgument("a fault is none, drop, 500, 429, 410 or stall");
}

struct Receiver::Impl {
  ReceiverOptions options;
  const Clock& clock;
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  int store_fd = -1;
  std::uint16_t port = 0;  // kept: the acceptor has none once closed

  mutable std::mutex mutex;  // everything below
  std::condition_variable stopped_cv;
  bool stopping = false;
  std::set<std::string, std::less<>> seen;
  ReceiverCounts counts;
  FaultPlan fault;
  struct Connection {
    std::shared_ptr<tcp::socket> socket;
    std::thread thread;
    bool done = false;  // set by its thread, under the mutex, as its last act
  };
  std::list<Connection> connections;

  Impl(ReceiverOptions o, const Clock& c) : options(std::move(o)), clock(c), fault(options.fault) {}

  Status OpenStore();
  void AcceptLoop();
  void Serve(Connection& connection);
  // Joins the threads of finished connections. REQUIRES: mutex held.
  void Reap();
  // nullopt: drop the connection without answering.
  std::optional<Response> Handle(const Request& request);
  std::optional<Response> Control(const Request& request);
  Response Webhook(const Request& request);
  // The fault to act out for this webhook, counting it down.
  ReceiverFault TakeFault(FaultPlan& plan);
};

Status Receiver::Impl::OpenStore() {
  // Ids already stored; a torn last line (a kill -9 mid-write) is skipped.
  std::string last_char;
  if (std::filesystem::exists(options.store_file)) {
    if (std::filesystem::file_size(options.store_file) > kMaxStoreFileBytes) {
      return InvalidArgument("the store file is larger than 256 MiB");
    }
    std::ifstream in(options.store_file);
    std::string line;
    while (std::getline(in, line)) {
      const json stored = json::parse(line, nullptr, false);
      if (stored.is_object() && stored.contains("id") && stored["id"].is_string()) {
        seen.insert(stored["id"].get<std::string>());
      }
    }
  }
  store_fd = ::open(options.store_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (store_fd < 0) return Unavailable("cannot open the store file " + options.store_file.string());
  ::fchmod(store_fd, 0600);
  // Close a torn line so the next record starts on its own line.
  const off_t size = ::lseek(store_fd, 0, SEEK_END);
  if (size > 0) {
    const int reader = ::open(options.store_file.c_str(), O_RDONLY | O_CLOEXEC);
    char last = '\n';
    if (reader >= 0) {
      if (::pread(reader, &last, 1, size - 1) != 1) last = '\n';
      ::close(reader);
    }
    if (last != '\n' && ::write(store_fd, "\n", 1) != 1) {
      return Unavailable("cannot write the store file");
    }
  }
  return OkStatus();
}

ReceiverFault Receiver::Impl::TakeFault(FaultPlan& plan) {
  if (plan.fault == ReceiverFault::kNone || plan.count == 0) return ReceiverFault::kNone;
  if (plan.count > 0) --plan.count;
  return plan.fault;
}

Response Receiver::Impl::Webhook(const Request& request) {
  const auto header = [&](std::string_view name) {
    const auto value = request[boost::beast::string_view(name.data(), name.size())];
    return std::string(value.data(), value.size());
  };
  const std::string id = header("webhook-id");
  const std::string timestamp = header("webhook-timestamp");
  const std::string signature = header("webhook-signature");
  const Status verified =
      options.verifier.Verify(id, timestamp, signature, request.body(), clock.Now());
  std::lock_guard lock(mutex);
  if (!verified.ok()) {
    ++counts.refused;
    const auto status = verified.code() == StatusCode::kInvalidArgument
                            ? http::status::bad_request
                            : http::status::unauthorized;
    return Answer(
        request, status,
        json{{"error", {{"code", verified.reason()}, {"message", verified.message()}}}}.dump());
  }
  if (seen.contains(id)) {
    ++counts.duplicates;
    return Answer(request, http::status::ok);
  }
  const std::string line = json{{"id", id},
                                {"timestamp", timestamp},
                                {"signature", signature},
                                {"body", request.body()},
                                {"received_at", FormatRfc3339(clock.Now())}}
                               .dump() +
                           "\n";
  if (::write(store_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fsync(store_fd) != 0) {
    return Answer(request, http::status::service_unavailable);
  }
  seen.insert(id);
  ++counts.stored;
  return Answer(request, http::status::no_content);
}

std::optional<Response> Receiver::Impl::Control(const Request& request) {
  if (request.method() == http::verb::get) {
    std::lock_guard lock(mutex);
    return Answer(request, http::status::ok,
                  json{{"stored", counts.stored},
                       {"duplicates", counts.duplicates},
                       {"refused", counts.refused}}
                      .dump());
  }
  const json body = json::parse(request.body(), nullptr, false);
  FaultPlan plan;
  bool ok = body.is_object() && body.contains("fault") && body["fault"].is_string();
  if (ok) {
    auto named = ReceiverFaultFromName(body["fault"].get<std::string>());
    ok = named.ok();
    if (ok) plan.fault = *named;
    if (body.contains("count")) ok = ok && body["count"].is_number_integer();
    if (ok && body.contains("count")) plan.count = body["count"].get<int>();
    if (body.contains("retry_after")) ok = ok && body["retry_after"].is_string();
    if (ok && body.contains("retry_after")) {
      plan.retry_after = body["retry_after"].get<std::string>().substr(0, 64);
    }
    if (body.contains("stall_seconds")) ok = ok && body["stall_seconds"].is_number_unsigned();
    if (ok && body.contains("stall_seconds")) {
      plan.stall = std::chrono::seconds(
          std::min<std::int64_t>(body["stall_seconds"].get<std::int64_t>(), 3600));
    }
  }
  if (!ok) {
    return Answer(
        request, http::status::bad_request,
        R"({"error":{"code":"bad_control","message":"see citycode outbox receiver --help"}})");
  }
  std::lock_guard lock(mutex);
  fault = plan;
  return Answer(request, http::status::no_content);
}

std::optional<Response> Receiver::Impl::Handle(const Request& request) {
  if (request.target() == "/control") return Control(request);
  if (request.method() != http::verb::post) {
    return Answer(request, http::status::method_not_allowed);
  }
  FaultPlan plan;
  ReceiverFault acted;
  {
    std::lock_guard lock(mutex);
    acted = TakeFault(fault);
    plan = fault;
  }
  switch (acted) {
    case ReceiverFault::kNone: return Webhook(request);
    case ReceiverFault::kDrop: return std::nullopt;
    case ReceiverFault::kError500: return Answer(request, http::status::internal_server_error);
    case ReceiverFault::kGone410: return Answer(request, http::status::gone);
    case ReceiverFault::kTooMany429: {
      Response response = Answer(request, http::status::too_many_requests);
      response.set(http::field::retry_after, plan.retry_after);
      return response;
    }
    case ReceiverFault::kStall: {
      std::unique_lock lock(mutex);
      stopped_cv.wait_for(lock, plan.stall, [&] { return stopping; });
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void Receiver::Impl::Serve(Connection& connection) {
  tcp::socket* socket = connection.socket.get();
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(options.max_body_bytes);
    beast::error_code ec;
    http::read(*socket, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      Response response(http::status::payload_too_large, 11);
      response.keep_alive(false);
      response.prepare_payload();
      http::write(*socket, response, ec);
      break;
    }
    if (ec) break;  // closed, timed out or malformed: nothing to answer
    std::optional<Response> response = Handle(parser.get());
    if (!response) break;
    http::write(*socket, *response, ec);
    if (ec || !response->keep_alive()) break;
  }
  std::lock_guard lock(mutex);  // Stop() shuts sockets down under it too
  beast::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
  connection.done = true;
}

void Receiver::Impl::Reap() {
  for (auto it = connections.begin(); it != connections.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();  // it has released the mutex and is returning
    it = connections.erase(it);
  }
}

void Receiver::Impl::AcceptLoop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(io);
    beast::error_code ec;
    acceptor.accept(*socket, ec);
    std::lock_guard lock(mutex);
    if (stopping) return;
    if (ec) continue;
    Reap();
    if (connections.size() >= kMaxConnections) {
      socket->close(ec);
      continue;
    }
    Connection& connection = connections.emplace_back(Connection{.socket = socket});
    connection.thread = std::thread([this, &connection] { Serve(connection); });
  }
}

Result<std::unique_ptr<Receiver>> Receiver::Start(ReceiverOptions options, const Clock& clock) {
  if (options.verifier.secrets.empty() && options.verifier.public_keys.empty()) {
    return InvalidArgument("the receiver needs a --secret or a --public-key");
  }
  if (options.store_file.empty()) return InvalidArgument("the receiver needs a --store file");
  CITYCODE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseListen(options.listen));
  auto impl = std::make_unique<Impl>(std::move(options), clock);
  CITYCODE_RETURN_IF_ERROR(impl->OpenStore());
  beast::error_code ec;
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot listen on " + impl->options.listen + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  Impl* raw = impl.get();
  impl->accept_thread = std::thread([raw] { raw->AcceptLoop(); });
  return std::unique_ptr<Receiver>(new Receiver(std::move(impl)));
}

Receiver::Receiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Receiver::~Receiver() {
  Stop();
  if (impl_->store_fd >= 0) ::close(impl_->store_fd);
}

std::uint16_t Receiver::port() const { return impl_->port; }

void Receiver::SetFault(const FaultPlan& plan) {
  std::lock_guard lock(impl_->mutex);
  impl_->fault = plan;
}

ReceiverCounts Receiver::counts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counts;
}

void Receiver::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    // Unblocks accept(): shutting the listening socket down wakes it on Linux.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    for (auto& connection : impl_->connections) {
      if (connection.socket->is_open()) ::shutdown(connection.socket->native_handle(), SHUT_RDWR);
    }
  }
  impl_->stopped_cv.notify_all();
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  // No connection is added once stopping is set; each ends (its socket is
  // shut down) and is joined here.
  for (auto& connection : impl_->connections) connection.thread.join();
  impl_->connections.clear();
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace citycode::outbox
