// GoogleMock matchers for Status and Result<T>, so a refusal test says which
// refusal it expects and cannot pass for the wrong reason:
//
//   EXPECT_THAT(ParseThing("x"), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
//   EXPECT_THAT(vault.Fetch(…), StatusIs(StatusCode::kPermissionDenied, "consent_expired"));
//   ASSERT_THAT(db.Begin(mode), IsOk());
//
// Where the reason is only the canonical name and one function refuses in
// several ways, a third argument matches the message too:
//
//   EXPECT_THAT(Base45Decode("GGW"), StatusIs(StatusCode::kInvalidArgument,
//                                             "invalid_argument", HasSubstr("65535")));
//
// `reason` is Status::reason(): the specific machine code when the status
// has one, else the canonical name. Both matchers take a Status or any
// Result<T>, and on a mismatch print the actual status with ToString() and
// its reason.
#ifndef CITYCODE_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define CITYCODE_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <gmock/gmock.h>

#include <ostream>
#include <sstream>
#include <string>
#include <utility>

#include "common/status.h"

namespace citycode {

// Printers for GoogleTest (found by ADL, so they live beside Status): without
// them a failed expectation shows a Status as raw bytes.
inline void PrintTo(const Status& status, std::ostream* os) {
  *os << status.ToString();
  if (!status.ok()) *os << " (reason " << status.reason() << ")";
}

template <typename T>
void PrintTo(const Result<T>& result, std::ostream* os) {
  if (result.ok()) {
    *os << "a value";
  } else {
    PrintTo(result.status(), os);
  }
}

namespace testing {
namespace internal {

inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}

class StatusIsMatcher {
 public:
  StatusIsMatcher(StatusCode code, std::string reason,
                  ::testing::Matcher<const std::string&> message)
      : code_(code), reason_(std::move(reason)), message_(std::move(message)) {}

  template <typename StatusOrResult>
  bool MatchAndExplain(const StatusOrResult& actual,
                       ::testing::MatchResultListener* listener) const {
    const Status status = StatusOf(actual);
    *listener << "whose status is " << status.ToString() << " (reason " << status.reason() << ")";
    return status.code() == code_ && status.reason() == reason_ &&
           message_.Matches(status.message());
  }

  void DescribeTo(std::ostream* os) const {
    *os << "has status code " << StatusCodeName(code_) << " and reason " << reason_;
    DescribeMessage(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have status code " << StatusCodeName(code_) << " and reason " << reason_;
    DescribeMessage(os);
  }

 private:
  void DescribeMessage(std::ostream* os) const {
    // The default message matcher is _, which says nothing worth printing.
    std::ostringstream message;
    message_.DescribeTo(&message);
    if (message.str() != "is anything") *os << " with a message that " << message.str();
  }

  StatusCode code_;
  std::string reason_;
  ::testing::Matcher<const std::string&> message_;
};

class IsOkMatcher {
 public:
  template <typename StatusOrResult>
  bool MatchAndExplain(const StatusOrResult& actual,
                       ::testing::MatchResultListener* listener) const {
    const Status status = StatusOf(actual);
    if (!status.ok()) *listener << "whose status is " << status.ToString();
    return status.ok();
  }
  void DescribeTo(std::ostream* os) const { *os << "is ok"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not ok"; }
};

}  // namespace internal

// Matches a Status or Result<T> whose code is `code` and whose reason() is
// `reason` (pass the canonical name, e.g. "not_found", when the code under
// test gives no specific reason: the test then also proves it gives none).
// `message`, if given, must match Status::message() as well.
inline ::testing::PolymorphicMatcher<internal::StatusIsMatcher> StatusIs(
    StatusCode code, std::string reason,
    ::testing::Matcher<const std::string&> message = ::testing::_) {
  return ::testing::MakePolymorphicMatcher(
      internal::StatusIsMatcher(code, std::move(reason), std::move(message)));
}

// Matches an ok Status or a Result<T> holding a value.
inline ::testing::PolymorphicMatcher<internal::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(internal::IsOkMatcher());
}

}  // namespace testing
}  // namespace citycode

#endif  // CITYCODE_TESTS_SUPPORT_STATUS_MATCHERS_H_
