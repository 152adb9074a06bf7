// The listener and the HTTP/1.1 sessions (Boost.Beast over Asio).
//
// One io_context runs on HttpOptions::threads threads; every connection gets
// its own strand, so a session's handlers never run concurrently and the
// session needs no lock. A session is a loop:
//
//   wait for the first byte   (idle_timeout; read_timeout on a new connection)
//   read and parse a request  (read_timeout from its first byte)
//   run the handler           (on the handler pool; see RunHandler)
//   write the response        (read_timeout)
//   keep-alive? loop : close
//
// The parser is fed from our own buffer (basic_parser::put) rather than
// through http::async_read, so a request that is already buffered (the
// common case: it arrived in one segment) is parsed without another trip
// through the io_context. The response head is serialised by hand into a
// per-session string that keeps its capacity, and written together with the
// body in one gathered write: no per-response field allocations.
//
// Errors found while reading (malformed, too large) are answered and the
// connection is closed "lingering": our side is shut down for sending and
// the rest of the input is drained for a short time, because closing a
// socket with unread input makes the kernel send a reset that can destroy
// the response before the client has read it.
//
// With a certificate and a key (HttpOptions::tls_*) every connection is
// TLS: the session is the same template over beast::ssl_stream<Stream>
// instead of Stream, so the plain path runs exactly the code it ran before
// (no virtual call, no extra allocation per request). The handshake comes
// first, under read_timeout; a failed one closes the connection and counts
// in citycode_http_tls_handshake_failures_total. Where a plain connection
// would close or linger after its last response, a TLS one sends
// close_notify and waits for the client's within the drain's time; if
// request bytes are still arriving, OpenSSL stops at them and the rest is
// drained below TLS as on a plain connection. TLS 1.2 at least (ECDHE with
// AEAD only) and 1.3 preferred, no compression, no renegotiation, ALPN
// http/1.1.
//
// Stop() closes the acceptor, closes idle connections, lets requests whose
// handlers are running finish and write their response (with
// "Connection: close"), then joins the threads once the io_context is out of
// work.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/files.h"
#include "server/http.h"
#include "server/internal/log.h"
#include "server/internal/target.h"

namespace citycode::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Steady = std::chrono::steady_clock;
using namespace std::string_view_literals;

// beast::tcp_stream, but with the strand's concrete type instead of
// any_io_executor: type-erasing a work-tracking strand allocates, and Beast
// and Asio do that several times per operation.
using Executor = net::strand<net::io_context::executor_type>;
using Stream = beast::basic_stream<tcp, Executor>;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using TlsStream = beast::ssl_stream<Stream>;

constexpr std::size_t kReadChunk = 8 * 1024;
constexpr std::size_t kMaxDrainBytes = 1024 * 1024;
constexpr std::chrono::milliseconds kMaxDrainTime{2'000};
constexpr std::chrono::milliseconds kAcceptRetry{100};
constexpr std::string_view kUnmatched = "unmatched";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Header fields a request may carry; their total size is max_header_bytes.
constexpr std::size_t kMaxHeaderFields = 100;
constexpr std::size_t kMaxPemBytes = 1024 * 1024;
constexpr const char* kHandshakeFailures = "citycode_http_tls_handshake_failures_total";
constexpr const char* kHandshakeFailuresHelp =
    "TLS handshakes that failed or timed out (the connection was closed).";
// TLS 1.2's suites: forward secret and AEAD only (TLS 1.3's are all both,
// and keep OpenSSL's default order).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::optional<Method> ToMethod(http::verb verb) {
  switch (verb) {
    case http::verb::get: return Method::kGet;
    case http::verb::head: return Method::kHead;
    case http::verb::post: return Method::kPost;
    case http::verb::put: return Method::kPut;
    case http::verb::patch: return Method::kPatch;
    case http::verb::delete_: return Method::kDelete;
    default: return std::nullopt;
  }
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Why the request's framing cannot be trusted ("" when it can). RFC 9112
// §6.1: a transfer coding other than chunked alone, or one beside a
// Content-Length, leaves the body's end in doubt, and what follows could be
// run as a second, smuggled request.
std::string_view FramingProblem(const http::request<http::string_body>& message) {
  const auto codings = message.count(http::field::transfer_encoding);
  if (codings == 0) return {};
  if (codings > 1) return "repeated Transfer-Encoding";
  const beast::string_view coding = message[http::field::transfer_encoding];
  if (!IEquals(TrimSpace(std::string_view(coding.data(), coding.size())), "chunked")) {
    return "a Transfer-Encoding other than chunked";
  }
  if (message.count(http::field::content_length) > 0) {
    return "both Transfer-Encoding and Content-Length";
  }
  return {};
}

// RFC 9110 token characters, for header names set by handlers.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// No CR, LF or other controls: a handler's value cannot split the response.
bool IsFieldValue(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

void AppendInt(std::string* out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

// "Sun, 06 Nov 1994 08:49:37 GMT" by the server's clock (a demo's may be
// moved), formatted once a second per thread.
std::string_view HttpDate(const citycode::Clock& clock) {
  struct Cache {
    std::time_t second = -1;
    char text[29];
  };
  thread_local Cache cache;
  const std::time_t now = static_cast<std::time_t>(ToUnixSeconds(clock.Now()));
  if (now != cache.second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    // strftime's %a and %b follow the locale; HTTP wants English.
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                  tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    std::memcpy(cache.text, buf, sizeof cache.text);
    cache.second = now;
  }
  return std::string_view(cache.text, sizeof cache.text);
}

Response ServerError(int status, std::string_view code, std::string message) {
  Response response = ErrorResponse(InvalidArgument(std::move(message), std::string(code)));
  response.status = status;
  return response;
}

std::string RandomIdPrefix() {
  std::random_device random;
  char text[10];
  std::snprintf(text, sizeof text, "%08x-", static_cast<unsigned>(random()));
  return std::string(text, 9);
}

// What Stop() needs of a session, whatever its stream; called once per
// connection at most, never per request.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Posted to the session's strand by Stop(); a handler cannot be running then.
  virtual void Shutdown() = 0;
  virtual Executor executor() = 0;
};

// Everything the sessions share; HttpServer::Impl owns one.
struct Core {
  Core(HttpOptions o, const Router& r, Metrics& m, const citycode::Clock& c)
      : options(std::move(o)),
        largest_body_limit(r.LargestBodyLimit(options.max_body_bytes)),
        router(r),
        metrics(m),
        clock(c),
        ioc(std::max(1, options.threads)),
        handlers(static_cast<std::size_t>(std::max(1, options.handler_threads))) {}

  HttpOptions options;
  const std::size_t largest_body_limit;  // of the server's and every route's
  const Router& router;
  Metrics& metrics;
  const citycode::Clock& clock;
  // Live sessions, for Stop(); touched once per connection, not per request.
  // Declared before `ioc`, whose destructor may destroy sessions.
  std::mutex sessions_mu;
  std::list<std::weak_ptr<SessionBase>> sessions;
  // Set when the server speaks TLS (by Start(), before the first
  // connection); declared before `ioc` for the same reason.
  std::optional<net::ssl::context> tls;
  net::io_context ioc;
  // Handlers run here, never on the I/O threads; after `ioc`, so that it is
  // destroyed first (its queued work holds guards on `ioc`).
  net::thread_pool handlers;
  std::atomic<int> handling{0};           // requests handed to `handlers` and not yet answered
  std::optional<tcp::acceptor> acceptor;  // on its own strand
  std::optional<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  // Request ids: a random prefix per process (several servers share one
  // log pipeline) and a counter.
  const std::string id_prefix = RandomIdPrefix();
  std::atomic<std::uint64_t> next_request{0};

  // Writes the next id into `id`, reusing its buffer (no allocation per
  // request on a kept-alive connection).
  void NextRequestId(std::string& id) {
    char digits[16];
    const auto n = next_request.fetch_add(1, std::memory_order_relaxed);
    const auto end = std::to_chars(digits, digits + sizeof digits, n, 16).ptr;
    id.assign(id_prefix);
    id.append(digits, end);
  }

  void Accept();
  void OnAccept(beast::error_code ec, Socket socket);
};

// One connection over `S`: Stream (plain HTTP) or TlsStream.
template <class S>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<S>> {
  static constexpr bool kTls = std::is_same_v<S, TlsStream>;
  static_assert(kTls || std::is_same_v<S, Stream>);

 public:
  // `stream_args`: what S is made of (the socket, and for TLS the context).
  template <class... StreamArgs>
  explicit Session(Core& core, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...), core_(core) {}

  ~Session() {
    if (registered_) {
      std::lock_guard lock(core_.sessions_mu);
      core_.sessions.erase(registration_);
    }
  }

  // Called on the acceptor's strand: registers, then moves to our own.
  void Start() {
    beast::error_code ec;
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    const tcp::endpoint remote = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      const net::ip::address address = remote.address();
      remote_address_ =
          address.is_v6() && address.to_v6().is_v4_mapped()
              ? net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string()
              : address.to_string();
    }
    {
      std::lock_guard lock(core_.sessions_mu);
      // Checked under the lock Stop() takes to set it: a session that
      // registers after Stop() looked would never be told to close.
      if (core_.stopping.load()) {
        Lowest().socket().close(ec);
        return;
      }
      registration_ = core_.sessions.insert(core_.sessions.end(), this->weak_from_this());
      registered_ = true;
    }
    if constexpr (kTls) {
      net::dispatch(Strand(),
                    beast::bind_front_handler(&Session::Handshake, this->shared_from_this()));
    } else {
      net::dispatch(Strand(),
                    beast::bind_front_handler(&Session::BeginRequest, this->shared_from_this()));
    }
  }

  void Shutdown() override {
    if (state_ == State::kHandshaking || state_ == State::kReading || state_ == State::kDraining) {
      Close();
    }
    // kWriting: OnWrite sees `stopping` and closes after the response.
  }

  Executor executor() override { return Strand(); }

 private:
  enum class State { kHandshaking, kReading, kHandling, kWriting, kDraining, kClosed };

  // The TCP stream: `stream_` itself, or the one under TLS. Its timer
  // bounds every operation of the layers above it.
  Stream& Lowest() { return beast::get_lowest_layer(stream_); }
  Executor Strand() { return Lowest().get_executor(); }

  // TLS: the handshake, before the first request, under read_timeout.
  void Handshake() {
    state_ = State::kHandshaking;
    if (core_.stopping.load(std::memory_order_relaxed)) return Close();
    Lowest().expires_after(core_.options.read_timeout);
    stream_.async_handshake(
        net::ssl::stream_base::server,
        beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
  }

  void OnHandshake(beast::error_code ec) {
    // Not a TLS client, an old or misconfigured one, or a slow one: there is
    // nobody to answer. (Aborted: Stop() closed the connection.)
    if (ec && ec != net::error::operation_aborted) {
      core_.metrics.AddCounter(kHandshakeFailures, kHandshakeFailuresHelp, 1);
    }
    if (state_ == State::kClosed) return;
    if (ec) return Close();
    BeginRequest();
  }

  void BeginRequest() {
    if (core_.stopping.load(std::memory_order_relaxed)) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        core_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // The header first, under the largest limit any route has (the parser
    // checks a Content-Length against it there); it names the route, whose
    // own limit then applies.
    body_limit_ = core_.largest_body_limit;
    parser_->body_limit(static_cast<std::uint64_t>(body_limit_));
    parser_->eager(false);
    body_limit_set_ = false;
    continue_sent_ = false;
    if (buffer_.size() > 0) {  // pipelined: the next request has begun
      request_started_ = true;
      Lowest().expires_after(core_.options.read_timeout);
      return Parse();
    }
    request_started_ = false;
    Lowest().expires_after(first_request_ ? core_.options.read_timeout
                                          : core_.options.idle_timeout);
    ReadMore();
  }

  void ReadMore() {
    state_ = State::kReading;
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t n) {
    if (state_ == State::kClosed) return;
    // eof, timeout (the stream is closed already) or reset: nothing to answer.
    if (ec) return Close();
    buffer_.commit(n);
    if (!request_started_) {
      request_started_ = true;
      if (!first_request_) Lowest().expires_after(core_.options.read_timeout);
    }
    Parse();
  }

  void Parse() {
    while (!parser_->is_done()) {
      if (buffer_.size() == 0) return NeedMore();
      beast::error_code ec;
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more || (!ec && used == 0 && !parser_->is_done())) {
        return NeedMore();
      }
      if (ec) return Reject(ec);
      if (!body_limit_set_ && parser_->is_header_done() && !ApplyRouteBodyLimit()) {
        return Reject(http::error::body_limit);
      }
    }
    OnRequest();
  }

  // False when the declared body is already over the route's limit.
  bool ApplyRouteBodyLimit() {
    body_limit_set_ = true;
    const auto& message = parser_->get();
    const std::optional<Method> method = ToMethod(message.method());
    const beast::string_view target = message.target();
    std::string path;
    std::map<std::string, std::string> query;
    body_limit_ = core_.options.max_body_bytes;
    if (method &&
        internal::ParseTarget(std::string_view(target.data(), target.size()), &path, &query)) {
      body_limit_ = core_.router.BodyLimit(*method, path, core_.options.max_body_bytes);
    }
    parser_->body_limit(static_cast<std::uint64_t>(body_limit_));  // chunks count against it
    parser_->eager(true);
    const auto length = parser_->content_length();
    return !length || *length <= body_limit_;
  }

  void NeedMore() {
    if (!continue_sent_ && parser_->is_header_done()) {
      continue_sent_ = true;  // checked once per request
      // HTTP/1.0 clients do not know interim responses.
      const beast::string_view expect = parser_->get()[http::field::expect];
      if (parser_->get().version() >= 11 &&
          IEquals(std::string_view(expect.data(), expect.size()), "100-continue")) {
        // The client waits for this before sending the body (curl does so
        // for bodies over 1 KiB).
        state_ = State::kWriting;
        net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                         beast::bind_front_handler(&Session::OnContinue, this->shared_from_this()));
        return;
      }
    }
    ReadMore();
  }

  void OnContinue(beast::error_code ec, std::size_t) {
    if (ec || core_.stopping.load(std::memory_order_relaxed)) return Close();
    Parse();
  }

  void Reject(beast::error_code ec) {
    start_ = Steady::now();
    core_.NextRequestId(request_.id);
    route_name_.assign(kUnmatched);
    keep_alive_ = false;
    http_10_ = false;
    head_only_ = false;
    linger_ = true;
    if (ec == http::error::body_limit) {
      // 400 rather than 413: the API answers every bad body with 400 and a
      // machine code (issue 3), and payload_too_large says which.
      return Write(
          ServerError(400, "payload_too_large",
                      "the request body is larger than " + std::to_string(body_limit_) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return Write(ServerError(431, "headers_too_large", "the request header is too large"));
    }
    if (ec == http::error::bad_transfer_encoding || ec == http::error::bad_content_length) {
      return Write(
          ServerError(400, "bad_framing", "the request's length cannot be trusted (RFC 9112 6.1)"));
    }
    Write(ServerError(400, "bad_request", "malformed HTTP request"));
  }

  // Answers `status` and closes the connection without reading on: what
  // was sent after this request's header is never taken as a request.
  void RefuseAndClose(int status, std::string_view code, std::string message) {
    keep_alive_ = false;
    linger_ = true;
    Write(ServerError(status, code, std::move(message)));
  }

  void OnRequest() {
    start_ = Steady::now();
    core_.NextRequestId(request_.id);
    auto& message = parser_->get();
    if (const std::string_view problem = FramingProblem(message); !problem.empty()) {
      http_10_ = false;
      head_only_ = false;
      route_name_.assign(kUnmatched);
      return RefuseAndClose(400, "bad_framing",
                            "the request has " + std::string(problem) + " (RFC 9112 6.1)");
    }
    http_10_ = message.version() < 11;
    keep_alive_ = message.keep_alive();
    linger_ = false;
    route_name_.assign(kUnmatched);
    const std::optional<Method> method = ToMethod(message.method());
    head_only_ = method == Method::kHead;
    if (!method) {
      return Write(ServerError(501, "not_implemented", "this method is not supported"));
    }

    Request& request = request_;
    request.method = *method;
    request.path.clear();
    request.query.clear();
    request.path_params.clear();
    request.headers.clear();
    const beast::string_view target = message.target();
    if (!internal::ParseTarget(std::string_view(target.data(), target.size()), &request.path,
                               &request.query)) {
      return Write(ServerError(400, "bad_request", "malformed request target"));
    }
    std::size_t fields = 0, header_bytes = 0;
    for (const auto& field : message) {
      const beast::string_view raw_name = field.name_string();
      const beast::string_view value = field.value();
      header_bytes += raw_name.size() + value.size() + 4;  // ": " and CRLF
      if (++fields > kMaxHeaderFields || header_bytes > core_.options.max_header_bytes) {
        return RefuseAndClose(
            431, "headers_too_large",
            "the request has more than " + std::to_string(kMaxHeaderFields) + " header fields or " +
                std::to_string(core_.options.max_header_bytes) + " bytes of them");
      }
      std::string name(raw_name.data(), raw_name.size());
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      auto [it, inserted] =
          request.headers.try_emplace(std::move(name), value.data(), value.size());
      if (!inserted) {  // repeated fields are one comma-separated list
        it->second += ", ";
        it->second.append(value.data(), value.size());
      }
    }
    request.body = std::move(message.body());
    request.remote_address = remote_address_;
    request.deadline = start_ + core_.options.handler_deadline;
    RunHandler();
  }

  // The handler runs on the handler pool, never on an I/O thread, so a slow
  // one (a password hash, a commit waiting for its fsync) stalls no
  // connection; with max_queued_requests already waiting, 503 at once. The
  // deadline counts from the request's arrival, waiting included.
  void RunHandler() {
    if (core_.router.AnswersLater(request_.method, request_.path)) return AnswerLater();
    if (core_.router.RunsInline(request_.method, request_.path)) {
      Response response = Dispatch(request_);
      if (route_name_.empty()) route_name_.assign(kUnmatched);
      return Write(std::move(response));
    }
    if (!StartHandling()) return;
    // The guard keeps the I/O threads running until the answer is written.
    net::post(core_.handlers,
              [self = this->shared_from_this(), work = net::make_work_guard(Strand())] {
                Response response = self->Dispatch(self->request_);
                self->core_.handling.fetch_sub(1);
                net::post(self->Strand(), [self, response = std::move(response)]() mutable {
                  if (self->route_name_.empty()) self->route_name_.assign(kUnmatched);
                  self->Write(std::move(response));
                });
              });
  }

  // Counts the request among those handed on (to the pool, or waiting for
  // a later answer); false, with a 503 written, when handler_threads +
  // max_queued_requests are already there.
  bool StartHandling() {
    const int limit = core_.options.handler_threads + core_.options.max_queued_requests;
    if (core_.handling.fetch_add(1) >= limit) {
      core_.handling.fetch_sub(1);
      Write(ServerError(503, "overloaded", "the server is overloaded; retry later"));
      return false;
    }
    state_ = State::kHandling;
    return true;
  }

  // A route that answers later starts here, on the I/O thread, and its
  // answer is written when it comes (from the thread that committed it).
  // It counts among the handlers' requests, under the same limit.
  void AnswerLater() {
    if (!StartHandling()) return;
    core_.router.DispatchLater(request_, &route_name_, [held = Hold()](Response response) {
      held.self->core_.handling.fetch_sub(1);
      // At once when answered on this strand (a refusal), else posted.
      net::dispatch(held.self->Strand(),
                    [self = held.self, response = std::move(response)]() mutable {
                      self->Write(std::move(response));
                    });
    });
  }

  // The session and the I/O threads, kept for an answer that comes from
  // another thread. The session is let go first (members die in reverse
  // order): were the guard first, Stop() could finish and the server be
  // gone while that thread still ended the session. The guard holds the
  // io_context's executor, not the strand: letting it go may let Stop()
  // finish at once, and a strand destroyed after that touches the strand
  // service the io_context has freed (AddressSanitizer found it at a
  // service's shutdown with an answer's commit in flight).
  struct Held {
    net::executor_work_guard<net::io_context::executor_type> work;
    std::shared_ptr<Session> self;
  };
  Held Hold() {
    return {net::make_work_guard(Strand().get_inner_executor()), this->shared_from_this()};
  }

  Response Dispatch(Request& request) {
    try {
      return core_.router.Dispatch(request, &route_name_);
    } catch (...) {  // the router catches handler exceptions; this is bad_alloc
      return InternalError("request dispatch failed");
    }
  }

  // A 500 for a failure outside the router, logged under the request id as
  // the router logs its own.
  Response InternalError(std::string detail) {
    Response response = ErrorResponse(Internal(std::move(detail)));
    internal::LogError("request " + request_.id, api::TakeLogDetail(request_, response));
    return response;
  }

  void Write(Response&& response) {
    response_ = std::move(response);
    if (response_.status < 200 || response_.status > 599) {
      response_ = InternalError("handler for route " + route_name_ + " returned status " +
                                std::to_string(response_.status));
    }
    if (core_.stopping.load(std::memory_order_relaxed)) keep_alive_ = false;
    const int status = response_.status;
    const bool no_body = status == 204 || status == 304;

    std::string& h = head_;
    h.clear();
    h += "HTTP/1.1 "sv;
    AppendInt(&h, static_cast<std::uint64_t>(status));
    h += ' ';
    const http::status known = http::int_to_status(static_cast<unsigned>(status));
    if (known != http::status::unknown) {
      const beast::string_view reason = http::obsolete_reason(known);
      h.append(reason.data(), reason.size());
    }
    h += "\r\nDate: "sv;
    h += HttpDate(core_.clock);
    h += "\r\n"sv;
    bool has_cache_control = false;
    bool has_content_type = false;
    for (const auto& [name, value] : response_.headers) {
      if (!IsToken(name) || !IsFieldValue(value)) continue;
      // Framing is ours: a handler must not be able to break it.
      if (IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
          IEquals(name, "connection")) {
        continue;
      }
      has_cache_control = has_cache_control || IEquals(name, "cache-control");
      has_content_type = has_content_type || IEquals(name, "content-type");
      h += name;
      h += ": "sv;
      h += value;
      h += "\r\n"sv;
    }
    if (!has_content_type && !no_body && !response_.content_type.empty() &&
        IsFieldValue(response_.content_type)) {
      h += "Content-Type: "sv;
      h += response_.content_type;
      h += "\r\n"sv;
    }
    if (!has_cache_control) h += "Cache-Control: no-store\r\n"sv;
    if (!request_.id.empty()) {
      h += "X-Request-Id: "sv;
      h += request_.id;
      h += "\r\n"sv;
    }
    if (!no_body) {
      // For HEAD: the length the GET would have had.
      h += "Content-Length: "sv;
      AppendInt(&h, response_.body.size());
      h += "\r\n"sv;
    }
    if (!keep_alive_) {
      h += "Connection: close\r\n"sv;
    } else if (http_10_) {
      h += "Connection: keep-alive\r\n"sv;
    }
    h += "\r\n"sv;

    std::array<net::const_buffer, 2> buffers = {net::buffer(h), net::const_buffer()};
    if (!head_only_ && !no_body) buffers[1] = net::buffer(response_.body);
    // Observed before the write completes, so that a client that has read
    // the response also sees it counted; latency is request to response.
    core_.metrics.Observe(route_name_, status, Steady::now() - start_);
    state_ = State::kWriting;
    Lowest().expires_after(core_.options.read_timeout);
    net::async_write(stream_, buffers,
                     beast::bind_front_handler(&Session::OnWrite, this->shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return Close();
    if (!keep_alive_ || core_.stopping.load(std::memory_order_relaxed)) {
      if constexpr (kTls) {
        return CloseTls();
      } else {
        return linger_ ? Linger() : Close();
      }
    }
    first_request_ = false;
    BeginRequest();
  }

  void Linger() {
    state_ = State::kDraining;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    Lowest().expires_after(
        std::min<std::chrono::milliseconds>(core_.options.read_timeout, kMaxDrainTime));
    drained_ = 0;
    Drain();
  }

  // Below TLS, if any: what is dropped need not be decrypted.
  void Drain() {
    Lowest().async_read_some(net::buffer(drain_), beast::bind_front_handler(
                                                      &Session::OnDrain, this->shared_from_this()));
  }

  void OnDrain(beast::error_code ec, std::size_t n) {
    if (state_ == State::kClosed) return;
    drained_ += n;
    if (ec || drained_ > kMaxDrainBytes) return Close();
    Drain();
  }

  // TLS's orderly close, after every last response: close_notify, then the
  // client's awaited within the drain's time. When stopping, the response
  // (Content-Length, Connection: close) is complete without it.
  void CloseTls() {
    if (core_.stopping.load(std::memory_order_relaxed)) return Close();
    state_ = State::kDraining;
    Lowest().expires_after(
        std::min<std::chrono::milliseconds>(core_.options.read_timeout, kMaxDrainTime));
    stream_.async_shutdown(
        beast::bind_front_handler(&Session::OnTlsShutdown, this->shared_from_this()));
  }

  // Done when the client's close_notify came or it closed. Otherwise ours
  // is out and OpenSSL stopped at application data (a body still arriving:
  // it drops nothing after close_notify); the rest is drained below TLS.
  void OnTlsShutdown(beast::error_code ec) {
    if (!ec || ec == net::ssl::error::stream_truncated) return Close();
    Linger();
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  S stream_;
  Core& core_;
  State state_ = kTls ? State::kHandshaking : State::kReading;
  bool registered_ = false;
  std::list<std::weak_ptr<SessionBase>>::iterator registration_;
  std::string remote_address_;

  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool first_request_ = true;
  bool request_started_ = false;
  std::size_t body_limit_ = 0;   // this request's: the server's, then its route's
  bool body_limit_set_ = false;  // the route's applied (once the header is in)
  bool continue_sent_ = false;

  // The request in flight and its response; reused so that strings keep
  // their capacity from one request to the next.
  Request request_;
  Response response_;
  std::string route_name_;
  std::string head_;
  Steady::time_point start_;
  bool keep_alive_ = false;
  bool http_10_ = false;
  bool head_only_ = false;
  bool linger_ = false;

  std::array<char, 4096> drain_;
  std::size_t drained_ = 0;
};

void Core::Accept() {
  acceptor->async_accept(net::make_strand(ioc), beast::bind_front_handler(&Core::OnAccept, this));
}

void Core::OnAccept(beast::error_code ec, Socket socket) {
  if (!acceptor->is_open() || ec == net::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors, typically: back off instead of spinning, and log
    // at most once per retry period.
    internal::LogError("accept failed", ec.message());
    accept_retry->expires_after(kAcceptRetry);
    accept_retry->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor->is_open()) Accept();
    });
    return;
  }
  if (!tls) {
    std::make_shared<Session<Stream>>(*this, std::move(socket))->Start();
  } else {
    std::shared_ptr<Session<TlsStream>> session;
    try {
      session = std::make_shared<Session<TlsStream>>(*this, std::move(socket), *tls);
    } catch (const std::exception& e) {  // SSL_new failed: out of memory
      internal::LogError("TLS session", e.what());
    }
    if (session) session->Start();
  }
  Accept();
}

// "host:port" or "[v6]:port" to an endpoint; names are resolved.
Result<tcp::endpoint> ParseListen(const std::string& listen, net::io_context& ioc) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("listen address must be host:port, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return InvalidArgument("bad port in listen address \"" + listen + "\"");
  }
  beast::error_code address_ec;
  const net::ip::address address = net::ip::make_address(host, address_ec);
  if (!address_ec) return tcp::endpoint(address, static_cast<std::uint16_t>(port));
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, port_text, address_ec);
  if (address_ec || results.empty()) {
    return InvalidArgument("cannot resolve listen host \"" + host + "\"");
  }
  return results.begin()->endpoint();
}

// OpenSSL's reason for `ec`; and its error queue emptied, since a stale
// entry would make a later TLS call on this thread look failed.
std::string TakeSslError(const beast::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

// ALPN: HTTP/1.1 when the client offers it; otherwise no protocol is
// agreed and the client may still speak HTTP/1.1.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// A PEM file of the TLS settings; `key` names the setting in the message.
Result<std::string> ReadPem(std::string_view key, const std::string& file) {
  Result<std::string> content = ReadFile(file, kMaxPemBytes);
  if (!content.ok()) {
    return Status(content.status().code(), std::string(key) + ": " + content.status().message());
  }
  return content;
}

// The server's TLS context from options.tls_certificate and
// options.tls_private_key; nothing when neither is set. Errors as
// HttpServer::Start() documents them.
Status LoadTls(const HttpOptions& options, std::optional<net::ssl::context>& out) {
  const std::string& certificate_file = options.tls_certificate;
  const std::string& key_file = options.tls_private_key;
  if (certificate_file.empty() && key_file.empty()) return OkStatus();
  if (certificate_file.empty() || key_file.empty()) {
    return InvalidArgument("TLS needs both a certificate and a private key (tls_certificate, " +
                           std::string(key_file.empty() ? "tls_private_key" : "tls_certificate") +
                           " is missing)");
  }
  CITYCODE_ASSIGN_OR_RETURN(const std::string certificate,
                            ReadPem("tls_certificate", certificate_file));
  // The key is a secret: a copy others can read is a leak already.
  std::error_code stat_ec;
  const auto permissions = std::filesystem::status(key_file, stat_ec).permissions();
  if (!stat_ec) {
    const auto mode = static_cast<unsigned>(permissions) & 0777u;
    if ((mode & 077u) != 0) {
      char octal[8];
      std::snprintf(octal, sizeof octal, "%04o", mode);
      return FailedPrecondition("tls_private_key: " + key_file +
                                " is accessible by group or others (mode " + octal +
                                "); a private key must be readable by its owner only (chmod 600)");
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(std::string key, ReadPem("tls_private_key", key_file));
  struct Wipe {
    std::string& secret;
    ~Wipe() { OPENSSL_cleanse(secret.data(), secret.size()); }
  } wipe{key};

  try {
    net::ssl::context context(net::ssl::context::tls_server);
    SSL_CTX* native = context.native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
      ERR_clear_error();
      return Status::System(StatusCode::kInternal, "cannot set the TLS versions and ciphers");
    }
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
    // An encrypted key is refused rather than asked for on the terminal.
    SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return -1; });

    beast::error_code ec;
    context.use_certificate_chain(net::buffer(certificate), ec);
    if (ec) {
      return InvalidArgument("tls_certificate: " + certificate_file +
                             " holds no PEM certificate chain that OpenSSL accepts (" +
                             TakeSslError(ec) + ")");
    }
    auto mismatch = [&] {
      ERR_clear_error();
      return InvalidArgument("tls_private_key: the key in " + key_file +
                             " is not the one of the certificate in " + certificate_file);
    };
    // OpenSSL compares the key with the certificate as it loads it.
    context.use_private_key(net::buffer(key), net::ssl::context::pem, ec);
    if (ec && ec.category() == net::error::get_ssl_category() &&
        ERR_GET_LIB(static_cast<unsigned long>(ec.value())) == ERR_LIB_X509) {
      const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
      if (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH) {
        return mismatch();
      }
    }
    if (ec) {
      return InvalidArgument("tls_private_key: " + key_file +
                             " holds no unencrypted PEM private key that OpenSSL accepts (" +
                             TakeSslError(ec) + ")");
    }
    if (SSL_CTX_check_private_key(native) != 1) return mismatch();
    out.emplace(std::move(context));
  } catch (const boost::system::system_error& e) {  // SSL_CTX_new failed
    ERR_clear_error();
    return Status::System(StatusCode::kUnavailable,
                          std::string("cannot create a TLS context: ") + e.what());
  }
  return OkStatus();
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpOptions options, const Router& router, Metrics& metrics, const citycode::Clock& clock)
      : core(std::move(options), router, metrics, clock) {}

  Core core;
  std::mutex lifecycle_mu;  // Start() and Stop()
  bool started = false;
  bool stopped = false;
};

HttpServer::HttpServer(HttpOptions options, const Router& router, Metrics& metrics,
                       const citycode::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, clock)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (impl_->started || impl_->stopped) return FailedPrecondition("the server was started before");
  Core& core = impl_->core;
  Result<tcp::endpoint> endpoint = ParseListen(core.options.listen, core.ioc);
  if (!endpoint.ok()) return endpoint.status();
  CITYCODE_RETURN_IF_ERROR(LoadTls(core.options, core.tls));
  if (core.tls) core.metrics.AddCounter(kHandshakeFailures, kHandshakeFailuresHelp, 0);

  core.acceptor.emplace(net::make_strand(core.ioc));
  beast::error_code ec;
  auto fail = [&](std::string_view step) {
    Status status = Unavailable("cannot listen on " + core.options.listen + " (" +
                                std::string(step) + "): " + ec.message());
    core.acceptor.reset();
    return status;
  };
  if (core.acceptor->open(endpoint->protocol(), ec); ec) return fail("open");
  if (core.acceptor->set_option(net::socket_base::reuse_address(true), ec); ec) {
    return fail("SO_REUSEADDR");
  }
  if (core.acceptor->bind(*endpoint, ec); ec) return fail("bind");
  if (core.acceptor->listen(net::socket_base::max_listen_connections, ec); ec) {
    return fail("listen");
  }
  core.port = core.acceptor->local_endpoint(ec).port();
  core.accept_retry.emplace(core.acceptor->get_executor());
  core.Accept();

  const int threads = std::max(1, core.options.threads);
  core.threads.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    core.threads.emplace_back([&core] { core.ioc.run(); });
  }
  impl_->started = true;
  return OkStatus();
}

std::uint16_t HttpServer::port() const { return impl_->core.port; }

void HttpServer::Stop() {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  Core& core = impl_->core;

  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard sessions_lock(core.sessions_mu);
    core.stopping.store(true);
    for (const auto& weak : core.sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  // Sessions first: the pending accept keeps the io_context running until
  // these are queued. Closed last, it could otherwise let run() return
  // before a post to an already finished session, which would then die in
  // the io_context's destructor instead.
  for (auto& session : live) {
    net::post(session->executor(), [session] { session->Shutdown(); });
  }
  live.clear();  // our references must not keep sessions alive
  net::post(core.acceptor->get_executor(), [&core] {
    beast::error_code ec;
    core.acceptor->close(ec);
    core.accept_retry->cancel();
  });

  // run() returns once no connection, timer, accept or handler is pending.
  for (std::thread& thread : core.threads) thread.join();
  core.threads.clear();
  core.handlers.join();
  core.accept_retry.reset();
  core.acceptor.reset();
}

}  // namespace citycode::server
