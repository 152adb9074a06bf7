#include "sms/gateway.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/status_matchers.h"

namespace citycode::sms {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// A local SMS gateway: takes one request, answers it with `status`.
class Receiver {
 public:
  explicit Receiver(unsigned status)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this, status] { Serve(status); }) {}
  ~Receiver() { Join(); }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/sms/send";
  }
  // The request it took; call after the exchange.
  const http::request<http::string_body>& Taken() {
    Join();
    return request_;
  }

 private:
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  void Serve(unsigned status) {
    tcp::socket socket(io_);
    acceptor_.accept(socket);
    beast::flat_buffer buffer;
    http::read(socket, buffer, request_);
    http::response<http::string_body> response{static_cast<http::status>(status), 11};
    response.body() = "{}";
    response.prepare_payload();
    http::write(socket, response);
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  http::request<http::string_body> request_;
  std::thread thread_;
};

TEST(HttpGatewayTest, PostsTheMessageAsJsonWithTheToken) {
  Receiver receiver(200);
  auto gateway = MakeHttpGateway(receiver.url(), "sms-token");
  ASSERT_THAT(gateway, IsOk());
  ASSERT_THAT((*gateway)->Send({"13912345678", "验证码 123456"}), IsOk());
  const auto& request = receiver.Taken();
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/sms/send");
  EXPECT_EQ(request[http::field::authorization], "Bearer sms-token");
  const auto body = nlohmann::json::parse(request.body());
  EXPECT_EQ(body, (nlohmann::json{{"phone", "13912345678"}, {"text", "验证码 123456"}}));
}

TEST(HttpGatewayTest, AFailingGatewayIsUnavailableWithoutTheMessage) {
  Receiver receiver(500);
  auto gateway = MakeHttpGateway(receiver.url(), "sms-token");
  ASSERT_THAT(gateway, IsOk());
  const Status sent = (*gateway)->Send({"13912345678", "验证码 123456"});
  EXPECT_THAT(sent, StatusIs(StatusCode::kUnavailable, "unavailable"));
  EXPECT_EQ(sent.message().find("123456"), std::string::npos);
  EXPECT_EQ(sent.message().find("13912345678"), std::string::npos);
}

TEST(HttpGatewayTest, RefusesAUrlItCannotUse) {
  for (const char* url :
       {"", "https://sms.example/send", "ftp://x", "http://", "http://sms.example/send"}) {
    EXPECT_THAT(MakeHttpGateway(url, "t"),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << url;
  }
}

TEST(InboxTest, KeepsTheLastMessagesAndFindsTheCode) {
  Inbox inbox(2);
  ASSERT_THAT(inbox.Send({"13900000001", "您的验证码是 123456，10分钟内有效"}), IsOk());
  ASSERT_THAT(inbox.Send({"13900000002", "此号码已注册 (no code)"}), IsOk());
  EXPECT_EQ(inbox.LastCode("13900000001"), "123456");
  EXPECT_EQ(inbox.LastCode("13900000002"), std::nullopt);
  ASSERT_THAT(inbox.Send({"13900000003", "1234567 is not a code; 654321 is"}), IsOk());
  EXPECT_EQ(inbox.LastCode("13900000001"), std::nullopt) << "dropped: the inbox holds 2";
  EXPECT_EQ(inbox.LastCode("13900000003"), "654321");
}

}  // namespace
}  // namespace citycode::sms
