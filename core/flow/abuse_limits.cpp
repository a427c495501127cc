#include "flow/abuse_limits.h"

namespace linkgate::flow {
namespace {

// A limit's decision as a Refusal (or none); a limiter whose store is down is passed on.
sdk::Result<std::optional<Refusal>> refused(const sdk::Result<limits::RateDecision>& decision,
                                            const char* reason) {
  if (!decision.ok()) return decision.error();
  if (decision->allowed) return std::optional<Refusal>{};
  return std::optional<Refusal>{Refusal{reason, limits::retry_after_seconds(decision.value())}};
}

}  // namespace

sdk::Result<std::optional<Refusal>> AbuseLimits::admit_start(const std::string& client,
                                                             const std::string& identifier_key,
                                                             sdk::AddressKind kind) {
  // Each limit in turn; the first that refuses (or whose store is down) decides.
  auto r = refused(limiter_.hit("start-client:" + client, settings_.per_client), "per_client");
  if (!r.ok() || r.value()) return r;
  r = refused(limiter_.cooldown("resend:" + identifier_key, settings_.resend_cooldown),
              "resend_cooldown");
  if (!r.ok() || r.value()) return r;
  r = refused(limiter_.hit("start-id:" + identifier_key, settings_.per_identifier),
              "per_identifier");
  if (!r.ok() || r.value()) return r;
  // Charged for unknown numbers too: the budget must not tell who has an account.
  if (kind == sdk::AddressKind::phone) {
    return refused(limiter_.hit("sms-budget", settings_.sms_budget), "sms_budget");
  }
  return std::optional<Refusal>{};
}

sdk::Result<std::optional<Refusal>> AbuseLimits::admit_redeem(const std::string& client) {
  return refused(limiter_.hit("redeem-client:" + client, settings_.per_client), "per_client");
}

sdk::Result<Admission::CodeGuess> AbuseLimits::admit_code(const std::string& identifier_key) {
  auto decision = limiter_.hit("wrong-codes:" + identifier_key, settings_.wrong_codes);
  if (!decision.ok()) return decision.error();
  if (!decision->allowed) {
    return CodeGuess{Refusal{"wrong_codes", limits::retry_after_seconds(decision.value())}, {}};
  }
  return CodeGuess{std::nullopt, std::move(decision->entry)};
}

void AbuseLimits::code_was_right(const std::string& identifier_key, const std::string& ticket) {
  // A store that fails here leaves one right code counted as wrong: the safe side.
  (void)limiter_.forget("wrong-codes:" + identifier_key, ticket);
}

}  // namespace linkgate::flow
