#include "http/api_error.h"

namespace linkgate::http {

ApiError to_api_error(const flow::Problem& p) {
  using flow::Failure;
  switch (p.failure) {
    case Failure::invalid_request:
      return invalid_request(p.detail.empty() ? "The request is malformed." : p.detail);
    case Failure::channel_unavailable:
      return invalid_request("sign-in by " + p.detail + " is not available here");
    case Failure::redirect_not_allowed:
      return {400, "redirect_not_allowed", "redirect_uri is not on the allow-list."};
    case Failure::unknown_flow:
      return {400, "invalid_token", "This sign-in request is not known."};
    case Failure::invalid_token:
      return {400, "invalid_token", "It may have been copied only in part. Ask for a new one."};
    case Failure::expired:
      return {400, "expired_token", "This link has expired. Ask for a new one."};
    case Failure::used:
      return {400, "used_token", "This link was already used. Ask for a new one."};
    case Failure::superseded:
      return {400, "invalid_token", "A newer link was sent; use the newest one."};
    case Failure::attempts_exhausted:
      return {400, "invalid_token", "Too many wrong codes. Ask for a new link."};
    case Failure::wrong_code: {
      ApiError e{400, "invalid_token", "That code is not right. Check it and try again."};
      e.can_retry = true;
      return e;
    }
    case Failure::codes_locked:
      return {400, "invalid_token",
              "Too many wrong codes were tried for this address. Use the link in the message."};
    case Failure::other_browser:
      return {400, "invalid_token",
              "Open this link in the browser where you asked for it, or enter the code there."};
    case Failure::no_user:
      return {400, "invalid_token", "This link is not valid."};
    case Failure::rate_limited: {
      ApiError e{429, "rate_limited", "Too many requests. Try again in a little while."};
      e.retry_after = static_cast<int>(p.retry_after);
      return e;
    }
    case Failure::unavailable:
      return unavailable("Sign-in is unavailable right now. Try again in a moment.");
    case Failure::internal:
      return internal_error();
  }
  return internal_error();
}

}  // namespace linkgate::http
