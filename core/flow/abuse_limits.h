#pragma once
// Which sign-in requests are admitted: per client address, per identifier (known or not alike),
// a cooldown between two links to the same identifier, and a ceiling on all SMS together.

#include <cstdint>
#include <optional>
#include <string>

#include "config/settings.h"
#include "flow/ports.h"
#include "limits/rate_limiter.h"
#include "linkgate/sdk/types.h"

namespace linkgate::flow {

class AbuseLimits final : public Admission {
 public:
  /// Both must outlive this.
  AbuseLimits(const config::Settings::Security& settings, limits::RateLimiter& limiter)
      : settings_(settings), limiter_(limiter) {}

  sdk::Result<std::optional<Refusal>> admit_start(const std::string& client,
                                                  const std::string& identifier_key,
                                                  sdk::AddressKind kind) override;
  sdk::Result<std::optional<Refusal>> admit_redeem(const std::string& client) override;
  sdk::Result<CodeGuess> admit_code(const std::string& identifier_key) override;
  void code_was_right(const std::string& identifier_key, const std::string& ticket) override;

 private:
  std::optional<Refusal> start_refusal(const std::string& client, const std::string& identifier_key,
                                       sdk::AddressKind kind);

  const config::Settings::Security& settings_;
  limits::RateLimiter& limiter_;
};

}  // namespace linkgate::flow
