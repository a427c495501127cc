#include "flow/redeem_rules.h"

#include <algorithm>
#include <string_view>

namespace linkgate::flow {
namespace {

constexpr std::string_view kShortLinkPrefix = "c.";
constexpr std::size_t kShortLinkKeyLength = 22;

}  // namespace

Outcome<Flow> check_live(Flow flow, std::int64_t now) {
  switch (flow.state) {
    case FlowState::completed:
      return Failure::used;
    case FlowState::superseded:
      return Failure::superseded;
    case FlowState::dead:
      return Failure::attempts_exhausted;
    case FlowState::pending:
      break;
  }
  if (now >= flow.expires_at) return Failure::expired;
  return flow;
}

Problem token_problem(sdk::ErrorCode code, const std::string& message) {
  switch (code) {
    case sdk::ErrorCode::expired:
      return problem(Failure::expired);
    case sdk::ErrorCode::used:
      return problem(Failure::used);
    case sdk::ErrorCode::invalid:
    case sdk::ErrorCode::not_found:
      return problem(Failure::invalid_token);
    case sdk::ErrorCode::unavailable:
      return problem(Failure::unavailable, "token strategy: " + message);
    default:
      return problem(Failure::internal, "token strategy: " + message);
  }
}

std::optional<Problem> check_code_shape(const std::string& flow_id, const std::string& code,
                                        int length) {
  if (flow_id.empty() || flow_id.size() > 64) {
    return problem(Failure::invalid_request, "flow_id is missing.");
  }
  if (code.size() != static_cast<std::size_t>(length) ||
      !std::all_of(code.begin(), code.end(),
                   [](unsigned char c) { return c >= '0' && c <= '9'; })) {
    return problem(Failure::invalid_request,
                   "code: expected " + std::to_string(length) + " digits.");
  }
  return std::nullopt;
}

bool is_short_link(const std::string& token) {
  return token.rfind(kShortLinkPrefix, 0) == 0 &&
         token.size() == kShortLinkPrefix.size() + kShortLinkKeyLength;
}

std::string short_link_key(const std::string& token) {
  return token.substr(kShortLinkPrefix.size());
}

std::string short_link_token(const std::string& key) {
  return std::string(kShortLinkPrefix) + key;
}

}  // namespace linkgate::flow
