#pragma once
// What a flow operation comes to, in the domain's words. Only http/ turns a Problem into a status
// code, an error code and sentences; the flow never speaks HTTP.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace linkgate::flow {

enum class Failure {
  invalid_request,       ///< the input is malformed; detail says what, for the client
  channel_unavailable,   ///< no delivery channel carries the asked kind; detail: "e-mail"/"phone"
  redirect_not_allowed,  ///< redirect_uri is not on the allow-list
  unknown_flow,          ///< no flow has that id
  invalid_token,         ///< tampered, truncated or unknown link
  expired,               ///< the link or flow is past its expiry
  used,                  ///< the link was redeemed, or its flow completed, already
  superseded,            ///< a newer link was sent for the same identifier
  attempts_exhausted,    ///< too many wrong codes: the flow takes no more
  wrong_code,            ///< the code does not match; the flow still takes codes
  codes_locked,  ///< the identifier had wrong_codes wrong codes in the window: no codes, links work
  other_browser,  ///< verify.require_same_browser, and this is not that browser
  no_user,        ///< the flow's user is gone or disabled, or the flow could create none
  rate_limited,   ///< retry_after seconds; detail names the limit
  unavailable,    ///< a dependency is down; detail names it (for the log)
  internal,       ///< a bug or a plugin breaking its contract
};

/// The stable name of @p failure, used as the `reason` of metrics and audit events.
const char* reason_of(Failure failure);

struct Problem {
  Failure failure = Failure::internal;
  std::string detail;
  std::int64_t retry_after = 0;  // seconds, for rate_limited

  friend bool operator==(const Problem&, const Problem&) = default;
};

inline Problem problem(Failure failure, std::string detail = "") {
  return Problem{failure, std::move(detail), 0};
}

/// A value of T, or the Problem that prevented it.
template <class T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}                 // NOLINT(google-explicit-constructor)
  Outcome(Problem problem) : v_(std::move(problem)) {}       // NOLINT(google-explicit-constructor)
  Outcome(Failure failure) : v_(Problem{failure, "", 0}) {}  // NOLINT
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  [[nodiscard]] const T& value() const { return std::get<0>(v_); }
  [[nodiscard]] T& value() { return std::get<0>(v_); }
  [[nodiscard]] const Problem& problem() const { return std::get<1>(v_); }
  [[nodiscard]] Failure failure() const { return problem().failure; }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Problem> v_;
};

}  // namespace linkgate::flow
