#include "flow/outcome.h"

namespace linkgate::flow {

const char* reason_of(Failure failure) {
  switch (failure) {
    case Failure::invalid_request:
      return "invalid_request";
    case Failure::channel_unavailable:
      return "channel_unavailable";
    case Failure::redirect_not_allowed:
      return "redirect_not_allowed";
    case Failure::unknown_flow:
      return "unknown_flow";
    case Failure::invalid_token:
      return "invalid";
    case Failure::expired:
      return "expired";
    case Failure::used:
      return "used";
    case Failure::superseded:
      return "superseded";
    case Failure::attempts_exhausted:
      return "attempts";
    case Failure::wrong_code:
      return "wrong_code";
    case Failure::codes_locked:
      return "wrong_codes_limit";
    case Failure::other_browser:
      return "other_browser";
    case Failure::no_user:
      return "no_user";
    case Failure::rate_limited:
      return "rate_limited";
    case Failure::unavailable:
      return "unavailable";
    case Failure::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace linkgate::flow
