#pragma once
// Which sign-in requests are admitted: per client address, per identifier (known or not alike),
// a cooldown between two links to the same identifier, and a ceiling on all SMS together.

#include <cstdint>
#include <optional>
#include <string>

#include "config/settings.h"
#include "linkgate/sdk/types.h"
#include "services/rate_limiter.h"

namespace linkgate::flow {

struct Refusal {
  std::string reason;  // per_client | per_identifier | resend_cooldown | sms_budget
  std::int64_t retry_after_seconds = 1;
};

class AbuseLimits {
 public:
  AbuseLimits(const config::Settings::Security& settings, services::RateLimiter& limiter)
      : settings_(settings), limiter_(limiter) {}

  /// Counts a sign-in start and says whether it may go on. @p identifier_key is the keyed hash
  /// of the normalised identifier. Throws std::runtime_error when the shared store is down.
  std::optional<Refusal> admit_start(const std::string& client, const std::string& identifier_key,
                                     sdk::AddressKind kind);
  /// Counts a redeem (link or code) from @p client. Throws like admit_start().
  std::optional<Refusal> admit_redeem(const std::string& client);

 private:
  const config::Settings::Security& settings_;
  services::RateLimiter& limiter_;
};

}  // namespace linkgate::flow
