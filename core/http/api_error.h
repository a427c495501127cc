#pragma once
// An error as the HTTP API answers it (http-api.md: the OAuth 2 shape), and the one place where a
// domain Problem becomes a status, an error code and words for people.

#include <string>
#include <utility>

#include "flow/outcome.h"

namespace linkgate::http {

struct ApiError {
  ApiError() = default;
  ApiError(int status_code, std::string error_code, std::string text)
      : status(status_code), code(std::move(error_code)), description(std::move(text)) {}

  int status = 400;
  std::string code;         // invalid_request, invalid_token, expired_token, used_token, ...
  std::string description;  // for humans; never internals
  int retry_after = 0;      // seconds, for 429
  bool can_retry = false;   // a wrong code on a flow that still takes codes

  friend bool operator==(const ApiError&, const ApiError&) = default;
};

inline ApiError invalid_request(std::string description) {
  return {400, "invalid_request", std::move(description)};
}
inline ApiError unavailable(std::string description) {
  return {503, "unavailable", std::move(description)};
}
inline ApiError internal_error() {
  return {500, "internal", "Something went wrong on our side. Try again."};
}

/// What the API answers for @p problem. A dependency's name or a bug's text (the detail of
/// unavailable and internal) is never shown.
ApiError to_api_error(const flow::Problem& problem);

}  // namespace linkgate::http
