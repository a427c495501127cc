#pragma once
// The outcome of a flow operation: a value, or the HTTP-level error the contract names.

#include <string>
#include <utility>
#include <variant>

namespace linkgate::flow {

/// An error in the OAuth 2 shape of http-api.md.
struct ApiError {
  ApiError() = default;
  ApiError(int status_code, std::string error_code, std::string text)
      : status(status_code), code(std::move(error_code)), description(std::move(text)) {}

  int status = 400;
  std::string code;         // invalid_request, invalid_token, expired_token, used_token, ...
  std::string description;  // for humans; never internals
  int retry_after = 0;      // seconds, for 429
  bool can_retry = false;   // a wrong code on a flow that still takes codes
  std::string reason;       // finer than code, for metrics and the audit log; never sent
};

inline ApiError rate_limited(int retry_after_seconds, std::string reason) {
  ApiError e{429, "rate_limited", "Too many requests. Try again in a little while."};
  e.retry_after = retry_after_seconds;
  e.reason = std::move(reason);
  return e;
}

inline ApiError invalid_request(std::string d) {
  return {400, "invalid_request", std::move(d)};
}
inline ApiError invalid_token(std::string d) {
  return {400, "invalid_token", std::move(d)};
}
inline ApiError expired_token(std::string d) {
  return {400, "expired_token", std::move(d)};
}
inline ApiError used_token(std::string d) {
  return {400, "used_token", std::move(d)};
}
inline ApiError unavailable(std::string d) {
  return {503, "unavailable", std::move(d)};
}
inline ApiError internal_error() {
  return {500, "internal", "Something went wrong on our side. Try again."};
}

template <class T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Outcome(ApiError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  [[nodiscard]] const T& value() const { return std::get<0>(v_); }
  [[nodiscard]] T& value() { return std::get<0>(v_); }
  [[nodiscard]] const ApiError& error() const { return std::get<1>(v_); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace linkgate::flow
