#include "server/http.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "server/internal/target.h"

namespace citycode::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Every wait in a test ends here at the latest: a server that never answers
// or never closes fails the test instead of hanging it.
constexpr auto kTestTimeout = 10s;

std::string ToStd(beast::string_view s) { return std::string(s.data(), s.size()); }

// --- Router, without a server ------------------------------------------------

Response Text(std::string body) { return JsonResponse(200, std::move(body)); }

TEST(RouterTest, PathParametersLandInTheRequest) {
  Router router;
  router.Add(Method::kGet, "/v1/orgs/{org}/sites/{site}", "site", [](Request& r) {
    return Text(r.path_params.at("org") + "|" + r.path_params.at("site"));
  });
  Request request;
  request.path = "/v1/orgs/acme/sites/hall%201";
  std::string route;
  Response response = router.Dispatch(request, &route);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "acme|hall 1");  // parameters are percent-decoded
  EXPECT_EQ(route, "site");
}

TEST(RouterTest, ParametersNeedANonEmptySegmentAndTheSameDepth) {
  Router router;
  router.Add(Method::kGet, "/v1/orgs/{org}", "org", [](Request&) { return Text("org"); });
  for (const char* path : {"/v1/orgs/", "/v1/orgs", "/v1/orgs/a/b", "/v1//a"}) {
    Request request;
    request.path = path;
    std::string route;
    EXPECT_EQ(router.Dispatch(request, &route).status, 404) << path;
    EXPECT_EQ(route, "unmatched") << path;
  }
}

TEST(RouterTest, ExactSegmentsWinOverParametersWhateverTheOrder) {
  for (bool exact_first : {false, true}) {
    Router router;
    auto add_param = [&] {
      router.Add(Method::kGet, "/v1/orgs/{org}/keys", "param",
                 [](Request& r) { return Text("param:" + r.path_params.at("org")); });
    };
    auto add_exact = [&] {
      router.Add(Method::kGet, "/v1/orgs/me/keys", "exact", [](Request&) { return Text("exact"); });
    };
    if (exact_first) {
      add_exact();
      add_param();
    } else {
      add_param();
      add_exact();
    }
    // A deeper parameter loses to an earlier literal too.
    router.Add(Method::kGet, "/v1/{x}/me/keys", "early-param",
               [](Request&) { return Text("early"); });
    Request request;
    std::string route;
    request.path = "/v1/orgs/me/keys";
    EXPECT_EQ(router.Dispatch(request, &route).body, "exact");
    EXPECT_EQ(route, "exact");
    request.path = "/v1/orgs/acme/keys";
    EXPECT_EQ(router.Dispatch(request, &route).body, "param:acme");
    request.path = "/v1/sites/me/keys";
    EXPECT_EQ(router.Dispatch(request, &route).body, "early");
  }
}

TEST(RouterTest, OtherMethodIs405WithAllowAndUnknownPathIs404) {
  Router router;
  router.Add(Method::kGet, "/v1/things/{id}", "get", [](Request&) { return Text("g"); });
  router.Add(Method::kDelete, "/v1/things/{id}", "delete", [](Request&) { return Text("d"); });
  Request request;
  std::string route;
  request.method = Method::kPost;
  request.path = "/v1/things/7";
  Response response = router.Dispatch(request, &route);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(
      response.body,
      R"({"error":{"code":"method_not_allowed","message":"method not allowed for this resource"}})");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "GET, HEAD, DELETE");
  EXPECT_EQ(route, "unmatched");

  request.path = "/v1/nothing";
  response = router.Dispatch(request, &route);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"error":{"code":"not_found","message":"no such resource"}})");
  EXPECT_EQ(route, "unmatched");
}

TEST(RouterTest, HeadUsesTheGetHandler) {
  Router router;
  router.Add(Method::kGet, "/x", "x",
             [](Request& r) { return Text(r.method == Method::kHead ? "head" : "get"); });
  Request request;
  request.method = Method::kHead;
  request.path = "/x";
  std::string route;
  Response response = router.Dispatch(request, &route);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "head");
  EXPECT_EQ(route, "x");
}

TEST(RouterTest, HandlerExceptionIsAGeneric500) {
  Router router;
  router.Add(Method::kGet, "/boom", "boom", [](Request&) -> Response {
    throw std::runtime_error("secret citizen 110101199003074477");
  });
  router.Add(Method::kGet, "/int", "int", [](Request&) -> Response { throw 42; });
  for (const char* path : {"/boom", "/int"}) {
    Request request;
    request.path = path;
    request.id = "r-1";
    std::string route;
    Response response = router.Dispatch(request, &route);
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.body,
              R"({"error":{"code":"internal","message":"internal error","request_id":"r-1"}})");
    EXPECT_EQ(response.log_detail, "");  // logged by Dispatch, not left to the caller
    EXPECT_THAT(response.body, Not(HasSubstr("secret")));
  }
}

TEST(RouterTest, BadOrDuplicatePatternsAreRejected) {
  Router router;
  auto h = [](Request&) { return Text(""); };
  router.Add(Method::kGet, "/a/{x}", "a", h);
  EXPECT_THROW(router.Add(Method::kGet, "/a/{y}", "a2", h), std::invalid_argument);
  EXPECT_NO_THROW(router.Add(Method::kPost, "/a/{y}", "a3", h));
  EXPECT_THROW(router.Add(Method::kGet, "a", "b", h), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/a/{}", "b", h), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/a/x{y}", "b", h), std::invalid_argument);
}

// --- Target parsing ----------------------------------------------------------

TEST(TargetTest, SplitsPathAndDecodesTheQuery) {
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(internal::ParseTarget("/v1/x%2Fy?a=1&b=hello%20world&c=x+y&d&&a=2&%C3%A9=%e2%82%AC",
                                    &path, &query));
  EXPECT_EQ(path, "/v1/x%2Fy");  // kept encoded: %2F is not a separator
  EXPECT_EQ(query, (std::map<std::string, std::string>{
                       {"a", "1"}, {"b", "hello world"}, {"c", "x y"}, {"d", ""}, {"é", "€"}}));
}

TEST(TargetTest, RejectsMalformedEscapesAndNonOriginForm) {
  std::string path;
  std::map<std::string, std::string> query;
  for (const char* target :
       {"/a?x=%zz", "/a?x=%4", "/a?x=%", "/a%g0", "/a%", "*", "http://h/a", ""}) {
    path.clear();
    query.clear();
    EXPECT_FALSE(internal::ParseTarget(target, &path, &query)) << target;
  }
}

// --- Metrics -----------------------------------------------------------------

TEST(MetricsTest, RendersCountsHistogramsAndApplicationMetrics) {
  Metrics metrics;
  metrics.Observe("verify", 200, 300us);  // le 0.0005
  metrics.Observe("verify", 200, 3ms);    // le 0.005
  metrics.Observe("verify", 409, 5s);     // +Inf only
  metrics.Observe("a\"b", 404, 1ms);      // escaped label
  metrics.SetGauge("citycode_outbox_pending{kind=\"hotel\"}", "Rows waiting.", 3);
  metrics.SetGauge("citycode_outbox_pending{kind=\"police\"}", "Rows waiting.", 1.5);
  metrics.SetGauge("citycode_outbox_pending{kind=\"police\"}", "Rows waiting.", 2);
  metrics.AddCounter("citycode_codes_issued_total", "Codes issued.", 1);
  metrics.AddCounter("citycode_codes_issued_total", "Codes issued.", 2);
  const std::string text = metrics.Render();

  EXPECT_THAT(text, HasSubstr("# TYPE citycode_http_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("citycode_http_requests_total{route=\"verify\",code=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("citycode_http_requests_total{route=\"verify\",code=\"409\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("citycode_http_requests_total{route=\"a\\\"b\",code=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE citycode_http_request_duration_seconds histogram\n"));
  const std::string bucket = "citycode_http_request_duration_seconds_bucket{route=\"verify\",le=";
  EXPECT_THAT(text, HasSubstr(bucket + "\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(bucket + "\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(bucket + "\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(bucket + "\"2.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(bucket + "\"+Inf\"} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("citycode_http_request_duration_seconds_count{route=\"verify\"} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("citycode_http_request_duration_seconds_sum{route=\"verify\"} 5.0033\n"));

  EXPECT_THAT(text, HasSubstr("# HELP citycode_outbox_pending Rows waiting.\n"
                              "# TYPE citycode_outbox_pending gauge\n"
                              "citycode_outbox_pending{kind=\"hotel\"} 3\n"
                              "citycode_outbox_pending{kind=\"police\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE citycode_codes_issued_total counter\n"
                              "citycode_codes_issued_total 3\n"));
}

TEST(MetricsTest, ConcurrentObserversLoseNothing) {
  Metrics metrics;
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Several routes claimed concurrently, and two codes each.
        metrics.Observe("r" + std::to_string(i % 7), i % 2 ? 200 : 500 + t % 2, 1ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = metrics.Render();
  long total = 0;
  std::size_t pos = 0;
  const std::string prefix = "citycode_http_requests_total{";
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    const std::size_t space = text.find(' ', pos);
    total += std::stol(text.substr(space + 1));
    pos = space;
  }
  EXPECT_EQ(total, kThreads * kEach);
}

// --- A real server -----------------------------------------------------------

// A blocking client on its own io_context; every read has kTestTimeout.
class TestClient {
 public:
  explicit TestClient(std::uint16_t port) : stream_(ioc_) {
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void Send(std::string_view raw) { net::write(stream_.socket(), net::buffer(raw)); }

  // Reads one response (a HEAD response has no body to read).
  http::response<http::string_body> Read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    parser.body_limit(1 << 20);
    beast::error_code result = net::error::would_block;
    stream_.expires_after(kTestTimeout);
    http::async_read(stream_, buffer_, parser,
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run();
    if (result) throw std::runtime_error("reading the response: " + result.message());
    return parser.release();
  }

  http::response<http::string_body> Roundtrip(std::string_view raw, bool head = false) {
    Send(raw);
    return Read(head);
  }

  // Reads until the server closes; the error says how (eof is orderly).
  beast::error_code ReadUntilClosed() {
    beast::error_code result;
    std::size_t extra = buffer_.size();
    stream_.expires_after(kTestTimeout);
    std::function<void()> read_some = [&] {
      stream_.async_read_some(buffer_.prepare(4096), [&](beast::error_code ec, std::size_t n) {
        buffer_.commit(n);
        extra += n;
        if (ec) {
          result = ec;
        } else {
          read_some();
        }
      });
    };
    read_some();
    ioc_.restart();
    ioc_.run();
    unread_bytes_ = extra;
    return result;
  }

  std::size_t unread_bytes() const { return unread_bytes_; }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::size_t unread_bytes_ = 0;
};

std::string Get(std::string_view target, std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(Method::kGet, "/hello", "hello",
                [](Request&) { return JsonResponse(200, R"({"hello":"world"})"); });
    router_.Add(Method::kGet, "/echo/{id}", "echo", [](Request& r) {
      nlohmann::json j;
      j["id"] = r.path_params.at("id");
      j["path"] = r.path;
      j["query"] = r.query;
      j["custom"] = r.Header("x-custom-thing");
      j["remote"] = r.remote_address;
      j["method"] = r.method == Method::kHead ? "HEAD" : "GET";
      const auto left = r.deadline - std::chrono::steady_clock::now();
      j["deadline_ok"] = left > 0s && left <= 2s;
      return JsonResponse(200, j.dump());
    });
    router_.Add(Method::kPost, "/echo/{id}", "echo_post",
                [](Request& r) { return JsonResponse(201, r.body); });
    router_.Add(Method::kGet, "/cached", "cached", [](Request&) {
      Response response = JsonResponse(200, "{}");
      response.content_type = "text/plain; charset=utf-8";
      response.headers = {{"Cache-Control", "max-age=60"},
                          {"X-Bad", "a\r\nInjected: yes"},
                          {"Content-Length", "999"}};
      return response;
    });
    router_.Add(Method::kGet, "/boom", "boom", [](Request&) -> Response {
      throw std::runtime_error("secret citizen 110101199003074477");
    });
    router_.Add(Method::kGet, "/empty", "empty", [](Request&) {
      Response response;
      response.status = 204;
      return response;
    });
  }

  void StartServer(HttpOptions options = {}) {
    options.listen = "127.0.0.1:0";
    options.handler_deadline = 2s;
    server_ = std::make_unique<HttpServer>(options, router_, metrics_, clock_);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  // GET /slow: its handler sets entered_, then waits for release_.
  void AddSlowRoute() {
    router_.Add(Method::kGet, "/slow", "slow", [this](Request&) {
      entered_.set_value();
      released_.wait();
      return JsonResponse(200, R"({"slow":true})");
    });
  }

  Router router_;
  Metrics metrics_;
  ManualClock clock_{FromUnixSeconds(784'111'777)};  // RFC 9110's example date
  std::unique_ptr<HttpServer> server_;
  std::promise<void> entered_, release_;
  std::shared_future<void> released_ = release_.get_future().share();
};

TEST_F(HttpServerTest, RoutesParamsQueryAndHeaders) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Roundtrip(
      Get("/echo/a%20b?x=1&y=hello%20world&z=p+q&flag", "X-Custom-Thing: yes\r\n"));
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_EQ(ToStd(response[http::field::content_type]), "application/json");
  EXPECT_EQ(ToStd(response[http::field::cache_control]), "no-store");
  auto j = nlohmann::json::parse(response.body());
  EXPECT_EQ(j["id"], "a b");
  EXPECT_EQ(j["path"], "/echo/a%20b");
  EXPECT_EQ(j["query"],
            (nlohmann::json{{"x", "1"}, {"y", "hello world"}, {"z", "p q"}, {"flag", ""}}));
  EXPECT_EQ(j["custom"], "yes");  // sent as X-Custom-Thing, looked up lower-case
  EXPECT_EQ(j["remote"], "127.0.0.1");
  EXPECT_EQ(j["deadline_ok"], true);
  // The Date header is the server's clock's, which a demo may move.
  EXPECT_EQ(ToStd(response[http::field::date]), "Sun, 06 Nov 1994 08:49:37 GMT");
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(ToStd(client.Roundtrip(Get("/echo/x"))[http::field::date]),
            "Mon, 07 Nov 1994 08:49:37 GMT");
}

TEST_F(HttpServerTest, MalformedQueryEscapeIs400) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Roundtrip(Get("/echo/1?x=%zz"));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response.body(),
            R"({"error":{"code":"bad_request","message":"malformed request target"}})");
  // The request itself was complete, so the connection stays usable.
  EXPECT_EQ(client.Roundtrip(Get("/hello")).result_int(), 200);
}

TEST_F(HttpServerTest, NotFoundAndMethodNotAllowed) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Roundtrip(Get("/nope"));
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "not_found");

  response = client.Roundtrip("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(ToStd(response[http::field::allow]), "GET, HEAD");
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "method_not_allowed");

  response = client.Roundtrip("OPTIONS /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(response.result_int(), 501);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "not_implemented");
}

TEST_F(HttpServerTest, HeadAnswersLikeGetWithoutABody) {
  StartServer();
  TestClient client(server_->port());
  auto get = client.Roundtrip(Get("/hello"));
  auto head = client.Roundtrip("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n", /*head=*/true);
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(ToStd(head[http::field::content_length]), std::to_string(get.body().size()));
  EXPECT_EQ(head.body(), "");
  // Had a body followed the HEAD response, this would read it as garbage.
  auto after = client.Roundtrip(Get("/hello"));
  EXPECT_EQ(after.result_int(), 200);
  EXPECT_EQ(after.body(), R"({"hello":"world"})");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  TestClient client(server_->port());
  auto first = client.Roundtrip(Get("/hello"));
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_TRUE(first.keep_alive());
  // Pipelined: two requests in one write.
  client.Send(Get("/hello") + Get("/echo/2"));
  EXPECT_EQ(client.Read().body(), R"({"hello":"world"})");
  EXPECT_EQ(nlohmann::json::parse(client.Read().body())["id"], "2");

  auto last = client.Roundtrip(Get("/hello", "Connection: close\r\n"));
  EXPECT_EQ(last.result_int(), 200);
  EXPECT_FALSE(last.keep_alive());
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
}

TEST_F(HttpServerTest, Http10KeepAliveIsExplicit) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Roundtrip("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(ToStd(response[http::field::connection]), "keep-alive");
  response = client.Roundtrip("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
}

TEST_F(HttpServerTest, HandlerHeadersAreKeptButCannotBreakFraming) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Roundtrip(Get("/cached"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(ToStd(response[http::field::cache_control]), "max-age=60");
  EXPECT_EQ(response.count(http::field::cache_control), 1u);
  EXPECT_EQ(ToStd(response[http::field::content_type]), "text/plain; charset=utf-8");
  EXPECT_EQ(response.count("X-Bad"), 0u);
  EXPECT_EQ(response.count("Injected"), 0u);
  EXPECT_EQ(ToStd(response[http::field::content_length]), "2");
  EXPECT_EQ(response.body(), "{}");

  auto empty = client.Roundtrip(Get("/empty"));
  EXPECT_EQ(empty.result_int(), 204);
  EXPECT_EQ(empty.count(http::field::content_length), 0u);
  EXPECT_EQ(client.Roundtrip(Get("/hello")).result_int(), 200);
}

TEST_F(HttpServerTest, PostBodyAndExpectContinue) {
  StartServer();
  TestClient client(server_->port());
  auto response =
      client.Roundtrip("POST /echo/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  EXPECT_EQ(response.result_int(), 201);
  EXPECT_EQ(response.body(), R"({"a":1})");

  client.Send(
      "POST /echo/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
      "Expect: 100-continue\r\n\r\n");
  // Beast's response parser reads the interim 100 as a response of its own.
  EXPECT_EQ(client.Read().result_int(), 100);
  response = client.Roundtrip("[]");
  EXPECT_EQ(response.result_int(), 201);
  EXPECT_EQ(response.body(), "[]");
}

TEST_F(HttpServerTest, OversizeBodyIs400PayloadTooLargeAndCloses) {
  StartServer({.max_body_bytes = 16});
  {
    TestClient client(server_->port());
    auto ok = client.Roundtrip(
        "POST /echo/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
    EXPECT_EQ(ok.result_int(), 201);
    auto response = client.Roundtrip(
        "POST /echo/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n" + std::string(17, 'x'));
    EXPECT_EQ(response.result_int(), 400);
    EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "payload_too_large");
    EXPECT_FALSE(response.keep_alive());
    EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
  }
  {
    // Chunked: the size is only known while the body arrives.
    TestClient client(server_->port());
    auto response = client.Roundtrip(
        "POST /echo/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
    EXPECT_EQ(response.result_int(), 400);
    EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "payload_too_large");
    EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
  }
}

// A route may take larger bodies than the server's limit; others keep it.
TEST_F(HttpServerTest, ARouteHasItsOwnBodyLimit) {
  router_.Add(
      Method::kPost, "/big", "big", [](Request& r) { return JsonResponse(201, r.body); }, 32);
  StartServer({.max_body_bytes = 16});
  TestClient client(server_->port());
  auto fits = client.Roundtrip("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 32\r\n\r\n" +
                               std::string(32, 'x'));
  EXPECT_EQ(fits.result_int(), 201);
  auto over = client.Roundtrip("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 33\r\n\r\n" +
                               std::string(33, 'x'));
  EXPECT_EQ(over.result_int(), 400);
  EXPECT_THAT(over.body(), ::testing::HasSubstr("larger than 32 bytes"));
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
  TestClient chunked(server_->port());
  auto chunked_over = chunked.Roundtrip(
      "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "14\r\n" +
      std::string(20, 'x') + "\r\n14\r\n" + std::string(20, 'x') + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked_over.result_int(), 400);
  TestClient other(server_->port());
  auto small_route = other.Roundtrip(
      "POST /echo/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n" + std::string(17, 'x'));
  EXPECT_EQ(small_route.result_int(), 400) << "the server's limit elsewhere";
}

TEST_F(HttpServerTest, GarbageIs400AndCloses) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Roundtrip("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response.body(),
            R"({"error":{"code":"bad_request","message":"malformed HTTP request"}})");
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
}

TEST_F(HttpServerTest, OversizeHeaderIs431AndCloses) {
  StartServer({.max_header_bytes = 256});
  TestClient client(server_->port());
  auto response = client.Roundtrip(Get("/hello", "X-Big: " + std::string(300, 'a') + "\r\n"));
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "headers_too_large");
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
}

TEST_F(HttpServerTest, HandlerExceptionIsAGeneric500) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Roundtrip(Get("/boom"));
  EXPECT_EQ(response.result_int(), 500);
  // The answer names the request, so the operator finds the logged detail.
  const std::string id(response["X-Request-Id"]);
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(response.body(), R"({"error":{"code":"internal","message":"internal error",)"
                             R"("request_id":")" +
                                 id + R"("}})");
  EXPECT_EQ(client.Roundtrip(Get("/hello")).result_int(), 200);  // still serving
}

TEST_F(HttpServerTest, ResponsesAreCountedInMetrics) {
  StartServer();
  TestClient client(server_->port());
  client.Roundtrip(Get("/hello"));
  client.Roundtrip(Get("/hello"));
  client.Roundtrip(Get("/nope"));
  client.Roundtrip(Get("/boom"));
  const std::string text = metrics_.Render();
  EXPECT_THAT(text, HasSubstr("citycode_http_requests_total{route=\"hello\",code=\"200\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("citycode_http_requests_total{route=\"unmatched\",code=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("citycode_http_requests_total{route=\"boom\",code=\"500\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("citycode_http_request_duration_seconds_count{route=\"hello\"} 2\n"));
}

TEST_F(HttpServerTest, ReadTimeoutClosesASlowRequest) {
  StartServer({.read_timeout = 100ms});
  TestClient client(server_->port());
  client.Send("GET /hello HTTP/1.1\r\nHost: t\r\n");  // never finished
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
  EXPECT_EQ(client.unread_bytes(), 0u);  // closed without an answer
}

TEST_F(HttpServerTest, IdleTimeoutClosesAnIdleKeepAliveConnection) {
  StartServer({.idle_timeout = 100ms});
  TestClient client(server_->port());
  EXPECT_EQ(client.Roundtrip(Get("/hello")).result_int(), 200);
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
}

TEST_F(HttpServerTest, StopIsIdempotentAndReleasesThePort) {
  StartServer();
  const std::uint16_t port = server_->port();
  auto idle = std::make_unique<TestClient>(port);
  EXPECT_EQ(idle->Roundtrip(Get("/hello")).result_int(), 200);
  server_->Stop();  // returns although `idle` keeps its connection open
  EXPECT_EQ(idle->ReadUntilClosed(), net::error::eof);
  server_->Stop();
  EXPECT_EQ(server_->Start().code(), StatusCode::kFailedPrecondition);

  HttpServer again({.listen = "127.0.0.1:" + std::to_string(port)}, router_, metrics_, clock_);
  ASSERT_TRUE(again.Start().ok());
  EXPECT_EQ(again.port(), port);
  TestClient client(port);
  EXPECT_EQ(client.Roundtrip(Get("/hello")).result_int(), 200);
  again.Stop();
  server_.reset();  // the destructor's Stop() after an explicit one
}

TEST_F(HttpServerTest, StopLetsARunningHandlerAnswer) {
  AddSlowRoute();
  StartServer();
  const std::uint16_t port = server_->port();
  TestClient client(port);
  client.Send(Get("/slow"));
  entered_.get_future().wait();

  std::thread stopper([&] { server_->Stop(); });
  // Once new connections are refused, Stop() is under way.
  const auto give_up = std::chrono::steady_clock::now() + kTestTimeout;
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() < give_up) {
    net::io_context ioc;
    tcp::socket probe(ioc);
    beast::error_code ec;
    probe.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    refused = ec == net::error::connection_refused;
  }
  release_.set_value();
  auto response = client.Read();
  stopper.join();
  EXPECT_TRUE(refused);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), R"({"slow":true})");
  EXPECT_FALSE(response.keep_alive());
}

// RFC 9112 §6.1: a transfer coding other than chunked alone, or one beside
// a Content-Length, is 400 and the connection closes; the bytes after the
// header (a smuggled request) are never run.
TEST_F(HttpServerTest, UntrustworthyFramingIs400AndTheSmuggledRequestNeverRuns) {
  std::atomic<int> runs{0};
  router_.Add(Method::kGet, "/count", "count", [&](Request&) {
    ++runs;
    return JsonResponse(200, "{}");
  });
  StartServer();
  const std::string smuggled = "GET /count HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::string requests[] = {
      "POST /echo/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n" + smuggled,
      "POST /echo/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\nContent-Length: " +
          std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled,
      "POST /echo/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"
      "\r\n0\r\n\r\n" +
          smuggled,
      "POST /echo/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n" +
          smuggled,
  };
  for (const std::string& request : requests) {
    TestClient client(server_->port());
    auto response = client.Roundtrip(request);
    EXPECT_EQ(response.result_int(), 400) << request;
    EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "bad_framing") << request;
    EXPECT_FALSE(response.keep_alive());
    EXPECT_EQ(client.ReadUntilClosed(), net::error::eof) << request;
  }
  EXPECT_EQ(runs.load(), 0);
  // Chunked alone is fine.
  TestClient client(server_->port());
  auto chunked = client.Roundtrip(
      "POST /echo/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.result_int(), 201);
}

// Many small header lines count as much as one big one.
TEST_F(HttpServerTest, ManyHeaderLinesAre431AndClose) {
  StartServer();
  std::string lines;
  for (int i = 0; i < 1500; ++i) lines += "X-" + std::to_string(i) + ": a\r\n";
  TestClient client(server_->port());
  auto response = client.Roundtrip(Get("/hello", lines));
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "headers_too_large");
  EXPECT_EQ(client.ReadUntilClosed(), net::error::eof);
}

// Handlers run on the handler pool: with one I/O thread, a handler that
// waits does not keep another connection from being answered; with the one
// handler busy and no queue, the next request is 503 overloaded at once.
TEST_F(HttpServerTest, AWaitingHandlerHoldsNoIoThreadAndAFullPoolAnswers503) {
  AddSlowRoute();
  router_.Add(
      Method::kGet, "/inline", "inline", [](Request&) { return JsonResponse(200, "{}"); }, 0,
      /*runs_inline=*/true);
  StartServer({.threads = 1, .handler_threads = 1, .max_queued_requests = 0});
  TestClient slow(server_->port());
  slow.Send(Get("/slow"));
  entered_.get_future().wait();
  TestClient other(server_->port());
  auto refused = other.Roundtrip(Get("/hello"));
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(nlohmann::json::parse(refused.body())["error"]["code"], "overloaded");
  // A route that never blocks runs on the I/O thread, pool or no pool.
  EXPECT_EQ(other.Roundtrip(Get("/inline")).result_int(), 200);
  release_.set_value();
  EXPECT_EQ(slow.Read().result_int(), 200);
  EXPECT_EQ(other.Roundtrip(Get("/hello")).result_int(), 200);
}

// A route that answers later starts on the I/O thread and holds no thread
// while it waits: it starts while the one-thread pool is busy with /slow,
// and counts toward the limit (/hello gets its 503). Its answer, given from
// another thread, is written then and counted under its route; Stop()
// waits for it.
TEST_F(HttpServerTest, ARouteThatAnswersLaterIsWrittenWhenItsReplyComes) {
  AddSlowRoute();
  std::promise<api::Reply> started;
  router_.AddLater(Method::kPost, "/later", "later", [&](Request& request, api::Reply reply) {
    EXPECT_EQ(request.body, "{}");
    started.set_value(std::move(reply));
  });
  StartServer({.threads = 1, .handler_threads = 1, .max_queued_requests = 1});
  TestClient slow(server_->port());
  slow.Send(Get("/slow"));
  entered_.get_future().wait();
  TestClient waiting(server_->port());
  waiting.Send("POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  api::Reply reply = started.get_future().get();
  TestClient other(server_->port());
  EXPECT_EQ(other.Roundtrip(Get("/hello")).result_int(), 503) << "the pool and its queue are full";

  std::thread stopper([&] { server_->Stop(); });
  std::thread([reply = std::move(reply)] {
    reply(JsonResponse(201, R"({"later":true})"));
  }).join();  // the reply, held, would keep the server running
  release_.set_value();
  const auto answer = waiting.Read();
  EXPECT_EQ(answer.result_int(), 201);
  EXPECT_EQ(answer.body(), R"({"later":true})");
  EXPECT_EQ(slow.Read().result_int(), 200);
  stopper.join();
  EXPECT_THAT(metrics_.Render(),
              ::testing::HasSubstr(R"(citycode_http_requests_total{route="later",code="201"} 1)"));
}

TEST(RouterTest, DispatchWaitsForARouteThatAnswersLater) {
  Router router;
  std::thread replier;
  router.AddLater(Method::kPost, "/later", "later", [&](Request&, api::Reply reply) {
    replier = std::thread([reply] { reply(JsonResponse(202, R"({"done":true})")); });
  });
  EXPECT_THROW(router.AddLater(Method::kPost, "/later/{x}", "x", [](Request&, api::Reply) {}),
               std::invalid_argument);
  Request request{.method = Method::kPost, .path = "/later"};
  std::string name;
  EXPECT_TRUE(router.AnswersLater(Method::kPost, "/later"));
  EXPECT_FALSE(router.AnswersLater(Method::kGet, "/later"));
  const Response response = router.Dispatch(request, &name);
  replier.join();
  EXPECT_EQ(name, "later");
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, R"({"done":true})");
}

TEST(HttpServerStartTest, BusyPortIsUnavailableAndBadAddressInvalid) {
  Router router;
  Metrics metrics;
  SystemClock clock;
  HttpServer first({.listen = "127.0.0.1:0"}, router, metrics, clock);
  ASSERT_TRUE(first.Start().ok());
  HttpServer second({.listen = "127.0.0.1:" + std::to_string(first.port())}, router, metrics,
                    clock);
  EXPECT_EQ(second.Start().code(), StatusCode::kUnavailable);
  for (const char* listen : {"127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000", ":80"}) {
    HttpServer bad({.listen = listen}, router, metrics, clock);
    EXPECT_EQ(bad.Start().code(), StatusCode::kInvalidArgument) << listen;
  }
}

}  // namespace
}  // namespace citycode::server
