#pragma once
// Stateless link tokens: base64url(payload) "." base64url(HMAC-SHA-256(key, payload)). The
// payload carries the grant and a random token id; a redeemed id goes into the host's replay
// cache until the token expires, so a token redeems once on every instance sharing that cache.

#include <string>
#include <string_view>

#include "linkgate/sdk/sdk.h"

namespace hmac_token {

class HmacTokenStrategy final : public linkgate::sdk::TokenStrategy {
 public:
  /// @p key: at least 32 bytes. @p host outlives the strategy.
  HmacTokenStrategy(std::string key, linkgate::sdk::HostServices& host);

  linkgate::sdk::Result<linkgate::sdk::IssuedToken> issue(
      const linkgate::sdk::LinkGrant& grant) override;
  linkgate::sdk::Result<linkgate::sdk::LinkGrant> inspect(std::string_view token) override;
  /// As inspect(), without reading the replay record (redeem() decides used).
  linkgate::sdk::Result<linkgate::sdk::LinkGrant> inspect_for_redeem(
      std::string_view token) override;
  linkgate::sdk::Result<linkgate::sdk::LinkGrant> redeem(std::string_view token) override;
  /// Stateless: unsupported (the host's flow records end a subject's links).
  linkgate::sdk::Result<void> revoke_subject(std::string_view subject) override;
  linkgate::sdk::Result<void> ready() override;

 private:
  struct Checked {
    linkgate::sdk::LinkGrant grant;
    std::string token_id;
  };
  linkgate::sdk::Result<Checked> check(std::string_view token);

  std::string key_;
  linkgate::sdk::HostServices& host_;
};

/// Reads the key from @p file, or makes one (32 random bytes, mode 0600) when it is missing.
/// Throws std::runtime_error when neither works.
std::string load_or_make_key(const std::string& file, linkgate::sdk::Random& random);

}  // namespace hmac_token
