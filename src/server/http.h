// The HTTP/1.1 core of the server (Boost.Beast/Asio): a listener, plain or
// TLS (OpenSSL), keep-alive sessions with size limits and deadlines, a
// router with path parameters, JSON errors, and request metrics. It knows
// nothing of citizens or codes; server/api.cc registers the /v1 handlers
// on it.
#ifndef CITYCODE_SERVER_HTTP_H_
#define CITYCODE_SERVER_HTTP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_message.h"
#include "common/clock.h"
#include "common/status.h"

namespace citycode::server {

// The messages are the api module's, so that what the server serves can be
// declared below it.
using api::ErrorResponse;
using api::JsonResponse;
using api::Method;
using api::Request;
using api::Response;

using Handler = std::function<Response(Request&)>;
// A handler that answers later, through the Reply (api/route.h's
// answer_later, once the server's checks have passed).
using LaterHandler = std::function<void(Request&, api::Reply)>;

// Routes "METHOD /v1/orgs/{org}/sites" patterns; {name} matches one non-empty
// path segment and lands in Request::path_params. A literal segment wins
// over a parameter at the same position. HEAD is served by the GET route
// (the server drops the body). A path that exists with another method
// answers 405 (method_not_allowed, with Allow), an unknown one 404
// (not_found); both are named "unmatched". An exception from a handler is
// logged and answered 500 internal with a generic message. A system error's
// detail (Response::log_detail) is logged under the request's id, and the
// answer names that id.
//
// Add() routes before serving; Dispatch() may then run on any thread.
class Router {
 public:
  // `name` labels the route in metrics (e.g. "verify"); patterns are unique.
  // Throws std::invalid_argument for a malformed or duplicate pattern (a
  // programming error, found at startup).
  // `max_body_bytes` (0: the server's max_body_bytes) bounds this route's
  // request bodies; the server applies it once the header has named the
  // route, before it reads the body.
  // `runs_inline`: the handler never blocks (no database, no file, no
  // lock held long: /healthz, /metrics), so the server runs it on the I/O
  // thread and spares it the hop to the handler pool and back; such a route
  // has no parameters.
  void Add(Method method, std::string pattern, std::string name, Handler handler,
           std::size_t max_body_bytes = 0, bool runs_inline = false);
  // A route whose handler answers later (no parameters): the server starts
  // it on the I/O thread, and writes the answer when the reply comes. Until
  // every copy of the reply is called or destroyed, Stop() waits.
  void AddLater(Method method, std::string pattern, std::string name, LaterHandler handler,
                std::size_t max_body_bytes = 0);
  // Answers a route that answers later too, by waiting for its reply.
  Response Dispatch(Request& request, std::string* route_name) const;
  // Whether `method` `path` names a route that answers later; then
  // DispatchLater starts it, and `reply` gets its answer (from any thread),
  // or a 500 if the handler threw before it replied.
  bool AnswersLater(Method method, std::string_view path) const;
  void DispatchLater(Request& request, std::string* route_name, api::Reply reply) const;
  // The body limit for `method` on `path` (a decoded-free path, as
  // requested): its route's, else `fallback`.
  std::size_t BodyLimit(Method method, std::string_view path, std::size_t fallback) const;
  // The largest of `fallback` and every route's own limit.
  std::size_t LargestBodyLimit(std::size_t fallback) const;
  // Whether the route `method` `path` names runs on the I/O thread.
  bool RunsInline(Method method, std::string_view path) const;

 private:
  struct Route;
  Response Run(const Route& route, Request& request) const;
  // The route `method` on `path` names (the most literal match); nullptr if none.
  const Route* Find(Method method, std::string_view path) const;
  std::vector<std::shared_ptr<Route>> routes_;
  // The few inline routes (no parameters): checked on every request, so a
  // short list of exact paths rather than a route match.
  std::vector<std::pair<Method, std::string>> inline_routes_;
  // Likewise the routes that answer later.
  struct LaterRoute {
    Method method;
    std::string path;
    const Route* route;
  };
  std::vector<LaterRoute> later_routes_;
};

// Request counts and latency histograms per route and status code, plus
// gauges and counters the application sets; rendered in the Prometheus text
// format. Thread-safe, and lock-free: every method may run per request.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  void Observe(std::string_view route, int status, std::chrono::nanoseconds latency);
  // `name` may carry labels, e.g. `citycode_outbox_pending{kind="hotel"}`;
  // the first call for a name fixes its help text and type.
  void SetGauge(std::string name, std::string help, double value);
  void AddCounter(std::string name, std::string help, double delta);
  std::string Render() const;  // text/plain; version=0.0.4

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  int threads = 2;                        // I/O threads: reading and writing only
  // Threads that run the handlers (database work overlaps: PostgreSQL
  // commits wait for their fsync side by side), and how many requests may
  // wait for one before the server answers 503 overloaded.
  int handler_threads = 8;
  int max_queued_requests = 1024;
  std::size_t max_body_bytes = 64 * 1024;  // larger bodies: 400 payload_too_large
                                           // (a route may set its own, Router::Add)
  std::size_t max_header_bytes = 8 * 1024;
  std::chrono::milliseconds read_timeout{10'000};  // whole request must arrive
  std::chrono::milliseconds handler_deadline{5'000};
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive
  // HTTPS: a PEM file with the server's certificate chain (its own
  // certificate first) and a PEM file with its private key. Both or
  // neither; with them the listener speaks TLS only (1.2 or 1.3, ALPN
  // http/1.1), and the key file must not be accessible by group or others.
  std::string tls_certificate;
  std::string tls_private_key;
};

class HttpServer {
 public:
  // `router`, `metrics` and `clock` (the Date header's) must outlive the server.
  HttpServer(HttpOptions options, const Router& router, Metrics& metrics, const Clock& clock);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the I/O threads. unavailable if the address is taken;
  // invalid_argument for a malformed address. With TLS, the certificate
  // and the key are loaded first, and nothing is bound if they fail:
  // not_found or permission_denied when a file cannot be read;
  // failed_precondition when the key file is accessible by group or
  // others; invalid_argument when only one of the two is given, a file
  // holds no usable PEM (an encrypted key included) or the key is not the
  // certificate's. Each message names the file.
  Status Start();
  // The bound port (after Start).
  std::uint16_t port() const;
  // Stops accepting, closes idle connections, lets running handlers answer
  // (with Connection: close), joins the threads. Idempotent. Must not be
  // called from a handler (it waits for the I/O threads).
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::server

#endif  // CITYCODE_SERVER_HTTP_H_
