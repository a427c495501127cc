#pragma once
/// @file
/// Expected outcomes as values: every SDK call that can fail returns a Result instead of
/// throwing, so no exception ever has to cross the plugin boundary.

#include <optional>
#include <string>
#include <utility>

namespace linkgate::sdk {

/// Why an operation did not succeed. Values are part of the ABI: append only.
enum class ErrorCode {
  none = 0,          ///< Success.
  invalid = 1,       ///< Malformed, tampered or unknown token/input.
  expired = 2,       ///< The token or flow is past its expiry.
  used = 3,          ///< The token was already redeemed.
  not_found = 4,     ///< Nothing matches (e.g. no user with that identifier).
  conflict = 5,      ///< A concurrent writer got there first.
  permanent = 6,     ///< Delivery failed for good (e.g. the gateway said 4xx); do not retry.
  retryable = 7,     ///< Delivery failed for now (timeout, 5xx, connection refused); retry later.
  unavailable = 8,   ///< A dependency (database, network) is down.
  internal = 9,      ///< A bug or an unexpected state; the message is for the operator's log.
  unsupported = 10,  ///< The plugin does not implement this optional operation.
};

/// Returns a stable lower-case name for @p code ("used", "expired", ...), for logs and metrics.
constexpr const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::none:
      return "none";
    case ErrorCode::invalid:
      return "invalid";
    case ErrorCode::expired:
      return "expired";
    case ErrorCode::used:
      return "used";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::permanent:
      return "permanent";
    case ErrorCode::retryable:
      return "retryable";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::internal:
      return "internal";
    case ErrorCode::unsupported:
      return "unsupported";
  }
  return "unknown";
}

/// The failure half of a Result: a code the host acts on and a message for the operator's log
/// (never shown to end users, never containing secrets such as tokens or codes).
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

/// Either a value of type T or an Error. Not thread-safe; a plain value type.
template <class T>
class Result {
 public:
  /// Success holding @p value.
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  /// Failure holding @p error. @p error.code must not be ErrorCode::none.
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  /// True on success.
  [[nodiscard]] bool ok() const noexcept { return value_.has_value(); }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }
  /// ErrorCode::none on success.
  [[nodiscard]] ErrorCode code() const noexcept { return ok() ? ErrorCode::none : error_.code; }
  /// The failure; an empty Error with ErrorCode::internal on success (check ok() first).
  [[nodiscard]] const Error& error() const noexcept { return error_; }
  /// The value. Precondition: ok(); calling it on a failure is undefined behaviour.
  [[nodiscard]] const T& value() const& { return *value_; }
  /// The value, mutable. Precondition: ok().
  [[nodiscard]] T& value() & { return *value_; }
  /// The value, moved out. Precondition: ok().
  [[nodiscard]] T&& value() && { return std::move(*value_); }
  /// Member access to the value. Precondition: ok().
  const T* operator->() const { return &*value_; }
  /// Member access to the value, mutable. Precondition: ok().
  T* operator->() { return &*value_; }

 private:
  std::optional<T> value_;
  Error error_;
};

/// Result of an operation that yields nothing on success.
template <>
class Result<void> {
 public:
  /// Success.
  Result() = default;
  /// Failure holding @p error.
  Result(Error error) : failed_(true), error_(std::move(error)) {}  // NOLINT
  /// True on success.
  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }
  /// ErrorCode::none on success.
  [[nodiscard]] ErrorCode code() const noexcept { return ok() ? ErrorCode::none : error_.code; }
  /// The failure (check ok() first).
  [[nodiscard]] const Error& error() const noexcept { return error_; }

 private:
  bool failed_ = false;
  Error error_;
};

/// Shorthand for a success of Result<void>.
inline Result<void> success() {
  return {};
}
/// Shorthand for a failure: `return fail(ErrorCode::expired, "token expired");`
inline Error fail(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace linkgate::sdk
