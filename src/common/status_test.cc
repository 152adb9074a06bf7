#include "common/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/support/status_matchers.h"

namespace citycode {
namespace {

using ::citycode::testing::StatusIs;

TEST(Status, DefaultIsOk) {
  const Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.ToString(), "ok");
  EXPECT_EQ(status, OkStatus());
}

TEST(Status, HelpersSetTheirCode) {
  const struct {
    Status status;
    StatusCode code;
    const char* name;
  } cases[] = {
      {InvalidArgument("m"), StatusCode::kInvalidArgument, "invalid_argument"},
      {NotFound("m"), StatusCode::kNotFound, "not_found"},
      {AlreadyExists("m"), StatusCode::kAlreadyExists, "already_exists"},
      {PermissionDenied("m"), StatusCode::kPermissionDenied, "permission_denied"},
      {Unauthenticated("m"), StatusCode::kUnauthenticated, "unauthenticated"},
      {FailedPrecondition("m"), StatusCode::kFailedPrecondition, "failed_precondition"},
      {Aborted("m"), StatusCode::kAborted, "aborted"},
      {ResourceExhausted("m"), StatusCode::kResourceExhausted, "resource_exhausted"},
      {DeadlineExceeded("m"), StatusCode::kDeadlineExceeded, "deadline_exceeded"},
      {Unavailable("m"), StatusCode::kUnavailable, "unavailable"},
      {Internal("m"), StatusCode::kInternal, "internal"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(c.status, testing::StatusIs(c.code, c.name));
    EXPECT_EQ(StatusCodeName(c.code), c.name);
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "ok");
}

TEST(Status, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(NotFound("a"), NotFound("a"));
  EXPECT_NE(NotFound("a"), NotFound("b"));
  EXPECT_NE(NotFound("a"), InvalidArgument("a"));
}

TEST(Result, HoldsAValue) {
  Result<int> result = 42;
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.status(), OkStatus());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(result.value(), 42);
  *result = 7;
  EXPECT_EQ(result.value(), 7);
}

TEST(Result, HoldsAnError) {
  Result<int> result = NotFound("no such key");
  EXPECT_THAT(result, testing::StatusIs(StatusCode::kNotFound, "not_found"));
  EXPECT_EQ(result.status(), NotFound("no such key"));
}

TEST(Result, MoveOnlyValuesAndArrow) {
  Result<std::unique_ptr<std::string>> result = std::make_unique<std::string>("abc");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)->size(), 3u);
  std::unique_ptr<std::string> taken = *std::move(result);
  EXPECT_EQ(*taken, "abc");

  Result<std::string> text = std::string("hello");
  EXPECT_EQ(text->size(), 5u);
}

#ifdef NDEBUG
TEST(Result, OkStatusWithoutValueBecomesInternal) {
  // With assertions on, this is caught by assert() instead.
  Result<int> result = OkStatus();
  EXPECT_THAT(result, testing::StatusIs(StatusCode::kInternal, "internal"));
}
#endif

Status FailIf(bool fail) { return fail ? Unavailable("down") : OkStatus(); }

Status Twice(bool first, bool second, int& reached) {
  reached = 0;
  CITYCODE_RETURN_IF_ERROR(FailIf(first));
  reached = 1;
  CITYCODE_RETURN_IF_ERROR(FailIf(second));
  reached = 2;
  return OkStatus();
}

TEST(StatusMacros, ReturnIfError) {
  int reached = -1;
  EXPECT_EQ(Twice(false, false, reached), OkStatus());
  EXPECT_EQ(reached, 2);
  EXPECT_EQ(Twice(false, true, reached), Unavailable("down"));
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(Twice(true, false, reached), Unavailable("down"));
  EXPECT_EQ(reached, 0);
}

Result<int> Parse(int value) {
  if (value < 0) return InvalidArgument("negative");
  return value;
}

Result<int> Sum(int a, int b) {
  // Twice in one function: the temporaries must not clash.
  CITYCODE_ASSIGN_OR_RETURN(const int x, Parse(a));
  CITYCODE_ASSIGN_OR_RETURN(const int y, Parse(b));
  return x + y;
}

Status Assign(int value, int& out) {
  CITYCODE_ASSIGN_OR_RETURN(out, Parse(value));
  return OkStatus();
}

Result<std::unique_ptr<int>> MakeBox(int v) { return std::make_unique<int>(v); }

Result<int> Unbox(int v) {
  CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(v));
  return *box;
}

TEST(StatusMacros, AssignOrReturn) {
  Result<int> sum = Sum(2, 3);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 5);
  EXPECT_EQ(Sum(-1, 3).status(), InvalidArgument("negative"));
  EXPECT_EQ(Sum(1, -3).status(), InvalidArgument("negative"));

  int out = 0;
  EXPECT_EQ(Assign(9, out), OkStatus());
  EXPECT_EQ(out, 9);
  EXPECT_EQ(Assign(-9, out), InvalidArgument("negative"));
  EXPECT_EQ(out, 9);

  Result<int> unboxed = Unbox(4);  // move-only values pass through
  ASSERT_TRUE(unboxed.ok());
  EXPECT_EQ(*unboxed, 4);
}

TEST(Status, AReasonIsAMoreSpecificMachineCode) {
  EXPECT_EQ(PermissionDenied("no").reason(), "permission_denied");
  const Status refused(StatusCode::kPermissionDenied, "the grant has expired", "consent_expired");
  EXPECT_EQ(refused.reason(), "consent_expired");
  EXPECT_THAT(refused, StatusIs(StatusCode::kPermissionDenied, "consent_expired"));
  EXPECT_NE(refused, PermissionDenied("the grant has expired"));
}

// The matcher every refusal test relies on: it must tell code and reason
// apart, read a Result as well as a Status, and say what it got.
TEST(StatusIs, MatchesCodeAndReason) {
  const Status refused(StatusCode::kPermissionDenied, "the grant has expired", "consent_expired");
  EXPECT_THAT(refused, testing::StatusIs(StatusCode::kPermissionDenied, "consent_expired"));
  EXPECT_THAT(refused, ::testing::Not(
                           testing::StatusIs(StatusCode::kPermissionDenied, "permission_denied")));
  EXPECT_THAT(refused,
              ::testing::Not(testing::StatusIs(StatusCode::kUnauthenticated, "consent_expired")));
  EXPECT_THAT(OkStatus(),
              ::testing::Not(testing::StatusIs(StatusCode::kPermissionDenied, "consent_expired")));
}

TEST(StatusIs, ReadsAResult) {
  const Result<int> refused = NotFound("no such key");
  EXPECT_THAT(refused, testing::StatusIs(StatusCode::kNotFound, "not_found"));
  const Result<int> value = 3;
  EXPECT_THAT(value, ::testing::Not(testing::StatusIs(StatusCode::kNotFound, "not_found")));
  EXPECT_THAT(value, testing::IsOk());
  EXPECT_THAT(refused, ::testing::Not(testing::IsOk()));
}

TEST(StatusIs, ExplainsAMismatchWithTheActualStatus) {
  const ::testing::Matcher<const Status&> matcher =
      testing::StatusIs(StatusCode::kNotFound, "not_found");
  EXPECT_EQ(::testing::DescribeMatcher<const Status&>(matcher),
            "has status code not_found and reason not_found");
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(matcher.MatchAndExplain(InvalidArgument("bad id"), &listener));
  EXPECT_EQ(listener.str(), "whose status is invalid_argument: bad id (reason invalid_argument)");
}

TEST(StatusIs, MatchesTheMessageWhenAskedTo) {
  const auto too_long = testing::StatusIs(StatusCode::kInvalidArgument, "invalid_argument",
                                          ::testing::HasSubstr("too long"));
  EXPECT_THAT(InvalidArgument("the text is too long"), too_long);
  EXPECT_THAT(InvalidArgument("the text is empty"), ::testing::Not(too_long));
  EXPECT_EQ(::testing::DescribeMatcher<const Status&>(too_long),
            "has status code invalid_argument and reason invalid_argument with a message that "
            "has substring \"too long\"");
}

}  // namespace
}  // namespace citycode
