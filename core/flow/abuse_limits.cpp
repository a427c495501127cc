#include "flow/abuse_limits.h"

namespace linkgate::flow {
namespace {

std::optional<Refusal> refused(const limits::RateDecision& decision, const char* reason) {
  if (decision.allowed) return std::nullopt;
  return Refusal{reason, limits::retry_after_seconds(decision)};
}

// The rate limiter throws when its shared store (Redis) is down: a dependency, reported as such.
template <class F>
sdk::Result<std::optional<Refusal>> reported(F&& decide) {
  try {
    return decide();
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("rate-limit store: ") + e.what());
  }
}

}  // namespace

sdk::Result<std::optional<Refusal>> AbuseLimits::admit_start(const std::string& client,
                                                             const std::string& identifier_key,
                                                             sdk::AddressKind kind) {
  return reported([&] { return start_refusal(client, identifier_key, kind); });
}

sdk::Result<std::optional<Refusal>> AbuseLimits::admit_redeem(const std::string& client) {
  return reported([&] {
    return refused(limiter_.hit("redeem-client:" + client, settings_.per_client), "per_client");
  });
}

std::optional<Refusal> AbuseLimits::start_refusal(const std::string& client,
                                                  const std::string& identifier_key,
                                                  sdk::AddressKind kind) {
  if (auto r = refused(limiter_.hit("start-client:" + client, settings_.per_client), "per_client"))
    return r;
  if (auto r = refused(limiter_.cooldown("resend:" + identifier_key, settings_.resend_cooldown),
                       "resend_cooldown")) {
    return r;
  }
  if (auto r = refused(limiter_.hit("start-id:" + identifier_key, settings_.per_identifier),
                       "per_identifier")) {
    return r;
  }
  // Charged for unknown numbers too: the budget must not tell who has an account.
  if (kind == sdk::AddressKind::phone) {
    return refused(limiter_.hit("sms-budget", settings_.sms_budget), "sms_budget");
  }
  return std::nullopt;
}

}  // namespace linkgate::flow
