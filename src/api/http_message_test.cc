#include "api/http_message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace citycode::api {
namespace {

TEST(ErrorResponseTest, MapsEveryCodeToItsStatus) {
  struct Case {
    StatusCode code;
    int http;
    const char* name;
  };
  const Case cases[] = {
      {StatusCode::kInvalidArgument, 400, "invalid_argument"},
      {StatusCode::kUnauthenticated, 401, "unauthenticated"},
      {StatusCode::kPermissionDenied, 403, "permission_denied"},
      {StatusCode::kNotFound, 404, "not_found"},
      {StatusCode::kAlreadyExists, 409, "already_exists"},
      {StatusCode::kFailedPrecondition, 409, "failed_precondition"},
      {StatusCode::kAborted, 409, "aborted"},
      {StatusCode::kResourceExhausted, 429, "resource_exhausted"},
      {StatusCode::kDeadlineExceeded, 503, "deadline_exceeded"},
      {StatusCode::kUnavailable, 503, "unavailable"},
  };
  for (const Case& c : cases) {
    Response response = ErrorResponse(Status(c.code, "it \"failed\"\n"));
    EXPECT_EQ(response.status, c.http) << c.name;
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(response.body,
              std::string(R"({"error":{"code":")") + c.name + R"(","message":"it \"failed\"\n"}})")
        << c.name;
    EXPECT_EQ(response.log_detail, "") << c.name;
  }
}

TEST(ErrorResponseTest, TheReasonIsTheMachineCode) {
  Response response = ErrorResponse(InvalidArgument("field x", "unknown_field"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, R"({"error":{"code":"unknown_field","message":"field x"}})");
}

TEST(ErrorResponseTest, InternalDetailStaysInTheLog) {
  Response response = ErrorResponse(Internal("db password=hunter2"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"error":{"code":"internal","message":"internal error"}})");
  EXPECT_EQ(response.log_detail, "internal: db password=hunter2");
  // An ok status is a caller bug, answered as one.
  EXPECT_EQ(ErrorResponse(OkStatus()).status, 500);
}

// Storage statuses carry SQL; whatever their code, the client sees none of it.
TEST(ErrorResponseTest, SystemStatusesAreGenericWithTheirKind) {
  const std::string sql = "sqlite: no such table: citizens [SELECT id FROM citizens WHERE p = ?]";
  struct Case {
    StatusCode code;
    int http;
    const char* name;
  };
  const Case cases[] = {
      {StatusCode::kUnavailable, 503, "unavailable"},  // a full disk, a lost connection
      {StatusCode::kAborted, 503, "unavailable"},      // busy after the retries
      {StatusCode::kResourceExhausted, 503, "unavailable"},
      {StatusCode::kAlreadyExists, 500, "internal"},  // a constraint the domain did not expect
      {StatusCode::kNotFound, 500, "internal"},
      {StatusCode::kInvalidArgument, 500, "internal"},
  };
  for (const Case& c : cases) {
    Response response = ErrorResponse(Status::System(c.code, sql));
    EXPECT_EQ(response.status, c.http) << c.name;
    const auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body["error"]["code"], c.name);
    EXPECT_EQ(response.body.find("citizens"), std::string::npos) << response.body;
    EXPECT_NE(response.log_detail.find(sql), std::string::npos);
  }
}

TEST(ErrorResponseTest, TakeLogDetailNamesTheRequest) {
  Request request;
  request.id = "5eed-1f";
  Response response = ErrorResponse(Status::System(StatusCode::kUnavailable, "disk full"));
  EXPECT_EQ(TakeLogDetail(request, response), "unavailable: disk full");
  EXPECT_EQ(response.log_detail, "");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["request_id"], "5eed-1f");
  EXPECT_EQ(body["error"]["code"], "unavailable");

  Response client_error = ErrorResponse(NotFound("no such case"));
  const std::string before = client_error.body;
  EXPECT_EQ(TakeLogDetail(request, client_error), "");
  EXPECT_EQ(client_error.body, before);
}

TEST(ErrorResponseTest, InvalidUtf8DoesNotThrow) {
  Response response = ErrorResponse(InvalidArgument(std::string("bad \xff byte")));
  EXPECT_EQ(response.status, 400);
  const auto j = nlohmann::json::parse(response.body);
  EXPECT_EQ(j["error"]["message"], "bad \xEF\xBF\xBD byte");  // U+FFFD
}

}  // namespace
}  // namespace citycode::api
