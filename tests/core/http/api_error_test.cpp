// The one place domain problems become HTTP answers.

#include "http/api_error.h"

#include <gtest/gtest.h>

namespace linkgate::http {
namespace {

using flow::Failure;
using flow::problem;

TEST(ApiError, EachFailureHasItsStatusAndCode) {
  struct Case {
    Failure failure;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {Failure::invalid_request, 400, "invalid_request"},
      {Failure::channel_unavailable, 400, "invalid_request"},
      {Failure::redirect_not_allowed, 400, "redirect_not_allowed"},
      {Failure::unknown_flow, 400, "invalid_token"},
      {Failure::invalid_token, 400, "invalid_token"},
      {Failure::expired, 400, "expired_token"},
      {Failure::used, 400, "used_token"},
      {Failure::superseded, 400, "invalid_token"},
      {Failure::attempts_exhausted, 400, "invalid_token"},
      {Failure::wrong_code, 400, "invalid_token"},
      {Failure::other_browser, 400, "invalid_token"},
      {Failure::no_user, 400, "invalid_token"},
      {Failure::rate_limited, 429, "rate_limited"},
      {Failure::unavailable, 503, "unavailable"},
      {Failure::internal, 500, "internal"},
  };
  for (const auto& c : cases) {
    const ApiError e = to_api_error(problem(c.failure));
    EXPECT_EQ(e.status, c.status) << flow::reason_of(c.failure);
    EXPECT_EQ(e.code, c.code) << flow::reason_of(c.failure);
    EXPECT_FALSE(e.description.empty()) << flow::reason_of(c.failure);
    EXPECT_EQ(e.can_retry, c.failure == Failure::wrong_code) << flow::reason_of(c.failure);
  }
}

TEST(ApiError, TheClientSeesItsOwnMistakeButNeverOurInternals) {
  EXPECT_EQ(to_api_error(problem(Failure::invalid_request, "code: expected 6 digits.")).description,
            "code: expected 6 digits.");
  EXPECT_EQ(to_api_error(problem(Failure::channel_unavailable, "phone")).description,
            "sign-in by phone is not available here");
  for (Failure f : {Failure::unavailable, Failure::internal}) {
    const ApiError e = to_api_error(problem(f, "users: connection to 10.0.0.5 refused"));
    EXPECT_EQ(e.description.find("10.0.0.5"), std::string::npos);
    EXPECT_EQ(e.description.find("users"), std::string::npos);
  }
}

TEST(ApiError, ARateLimitCarriesItsRetryAfter) {
  flow::Problem limited = problem(Failure::rate_limited, "per_client");
  limited.retry_after = 17;
  EXPECT_EQ(to_api_error(limited).retry_after, 17);
  EXPECT_EQ(to_api_error(limited).description.find("per_client"), std::string::npos);
}

}  // namespace
}  // namespace linkgate::http
