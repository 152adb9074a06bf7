// Status and Result<T>: expected failures as values.
//
// Domain code returns a Status (or a Result<T> holding either a value or a
// non-ok Status) for anything a caller can cause: bad input, a refused code, a
// missing file. Exceptions are reserved for bugs and resource exhaustion and
// never cross a module boundary.
#ifndef CITYCODE_COMMON_STATUS_H_
#define CITYCODE_COMMON_STATUS_H_

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace citycode {

// The canonical codes. Choose the most specific one: the server maps each to
// one HTTP status and the CLI to one exit code.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the input is malformed or out of range
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a thing to create exists already
  kPermissionDenied,    // the caller is known but not allowed
  kUnauthenticated,     // the caller is not known
  kFailedPrecondition,  // the system is not in the state the call needs
  kAborted,             // a concurrent change won (transaction conflict); retry
  kResourceExhausted,   // a quota or rate limit is used up
  kDeadlineExceeded,    // the work did not finish in its time
  kUnavailable,         // transient; retrying may succeed
  kInternal,            // a bug or a broken invariant
};

// "invalid_argument", "not_found", ...: the machine form used in APIs.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // `reason` is a more specific machine code than the canonical one
  // ("consent_expired" rather than "permission_denied"), for APIs; it is the
  // only way an error gets its machine code.
  Status(StatusCode code, std::string message, std::string reason)
      : code_(code), message_(std::move(message)), reason_(std::move(reason)) {}

  // A failure of the machinery (storage, files, a bug), not of the caller's
  // request: its message may hold SQL, paths or values, so it goes to the
  // operator's log only and a client sees a generic message. Every
  // kInternal status is one.
  static Status System(StatusCode code, std::string message) {
    Status status(code, std::move(message));
    status.system_ = true;
    return status;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // One line for a human; never contains personal data.
  const std::string& message() const { return message_; }
  // The specific machine code if one was given, else the canonical name.
  std::string_view reason() const {
    return reason_.empty() ? StatusCodeName(code_) : std::string_view(reason_);
  }
  // True for System() statuses and every kInternal one.
  bool is_system() const { return system_ || code_ == StatusCode::kInternal; }
  // "invalid_argument: message".
  std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string reason_;
  bool system_ = false;
};

inline Status OkStatus() { return Status(); }
// The canonical errors; `reason`, if given, is the specific machine code.
inline Status InvalidArgument(std::string m, std::string reason = {}) {
  return {StatusCode::kInvalidArgument, std::move(m), std::move(reason)};
}
inline Status NotFound(std::string m, std::string reason = {}) {
  return {StatusCode::kNotFound, std::move(m), std::move(reason)};
}
inline Status AlreadyExists(std::string m, std::string reason = {}) {
  return {StatusCode::kAlreadyExists, std::move(m), std::move(reason)};
}
inline Status PermissionDenied(std::string m, std::string reason = {}) {
  return {StatusCode::kPermissionDenied, std::move(m), std::move(reason)};
}
inline Status Unauthenticated(std::string m, std::string reason = {}) {
  return {StatusCode::kUnauthenticated, std::move(m), std::move(reason)};
}
inline Status FailedPrecondition(std::string m, std::string reason = {}) {
  return {StatusCode::kFailedPrecondition, std::move(m), std::move(reason)};
}
inline Status Aborted(std::string m, std::string reason = {}) {
  return {StatusCode::kAborted, std::move(m), std::move(reason)};
}
inline Status ResourceExhausted(std::string m, std::string reason = {}) {
  return {StatusCode::kResourceExhausted, std::move(m), std::move(reason)};
}
inline Status DeadlineExceeded(std::string m, std::string reason = {}) {
  return {StatusCode::kDeadlineExceeded, std::move(m), std::move(reason)};
}
inline Status Unavailable(std::string m, std::string reason = {}) {
  return {StatusCode::kUnavailable, std::move(m), std::move(reason)};
}
inline Status Internal(std::string m, std::string reason = {}) {
  return {StatusCode::kInternal, std::move(m), std::move(reason)};
}

// Either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : rep_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : rep_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(rep_).ok() && "Result needs a value or an error");
    // Without assertions, an ok Status would make a Result that is neither a
    // value nor an error, and CITYCODE_ASSIGN_OR_RETURN would "return" it as
    // success; turn it into the bug it is.
    if (std::get<Status>(rep_).ok()) rep_ = Internal("Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(rep_); }
  // OkStatus() when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(rep_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> rep_;
};

}  // namespace citycode

#define CITYCODE_CONCAT_INNER_(a, b) a##b
#define CITYCODE_CONCAT_(a, b) CITYCODE_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not ok.
// Temporaries are numbered by __COUNTER__, not __LINE__, so the macros nest
// (a lambda passed to one may use them) without shadowing.
#define CITYCODE_RETURN_IF_ERROR(expr) \
  CITYCODE_RETURN_IF_ERROR_IMPL_(CITYCODE_CONCAT_(citycode_status_, __COUNTER__), expr)
#define CITYCODE_RETURN_IF_ERROR_IMPL_(tmp, expr) \
  do {                                            \
    ::citycode::Status tmp = (expr);              \
    if (!tmp.ok()) return tmp;                    \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its error.
#define CITYCODE_ASSIGN_OR_RETURN(lhs, expr) \
  CITYCODE_ASSIGN_OR_RETURN_IMPL_(CITYCODE_CONCAT_(citycode_result_, __COUNTER__), lhs, expr)
#define CITYCODE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

#endif  // CITYCODE_COMMON_STATUS_H_
