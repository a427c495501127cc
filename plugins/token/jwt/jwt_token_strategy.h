#pragma once
// Stateless link tokens: ECDSA-signed JWTs (ES256). Single use without a database:
// each redeemed token id (jti) goes into the host's shared expiring-key set until the token
// itself expires, so a replay is refused on every instance.

#include <Poco/Crypto/ECKey.h>
#include <Poco/SharedPtr.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "linkgate/sdk/sdk.h"
#include "signature_memo.h"
#include "util/es256.h"
#include "util/unique_ids.h"

namespace linkgate::plugins::jwt {

/// What the plugin runs with; the values (and their defaults) come from the key table in
/// jwt_config.cpp, never from here.
struct JwtSettings {
  std::string algorithm;  // the only one offered is ES256; never taken from a token's header
  std::string key_file;   // PEM private key, generated when missing
  bool single_use = false;
  std::string audience;
  std::chrono::seconds leeway{0};
};

class JwtTokenStrategy final : public sdk::TokenStrategy {
 public:
  /// Loads the key from settings.key_file, generating it (mode 0600) when missing.
  /// Throws std::runtime_error with a clear message if the key cannot be loaded or made.
  JwtTokenStrategy(JwtSettings settings, sdk::HostServices& host);

  sdk::Result<sdk::IssuedToken> issue(const sdk::LinkGrant& grant) override;
  sdk::Result<sdk::LinkGrant> inspect(std::string_view token) override;
  sdk::Result<sdk::LinkGrant> inspect_for_redeem(std::string_view token) override;
  sdk::Result<sdk::LinkGrant> redeem(std::string_view token) override;
  sdk::Result<void> revoke_subject(std::string_view subject) override;
  sdk::Result<void> ready() override;

  [[nodiscard]] const std::string& key_id() const { return key_id_; }

 private:
  struct Verified {
    sdk::LinkGrant grant;
    std::string jti;
  };
  sdk::Result<Verified> verify(std::string_view token) const;

  JwtSettings settings_;
  sdk::HostServices& host_;
  Poco::SharedPtr<Poco::Crypto::ECKey> key_;  // loaded and checked; names the key (kid)
  std::optional<util::Es256Key> es256_;       // signs and verifies: the same key, set up once
  SignatureMemo verified_;                    // redeem() after inspect(): one verify, not two
  std::string key_id_;
  std::string header_json_;                            // the same for every token: written once
  util::UniqueIds jti_;                                // unique, not secret: the token is signed
  static constexpr std::size_t signature_bytes_ = 64;  // R || S, 32 bytes each
};

/// The curve name OpenSSL uses for @p algorithm ("prime256v1" for ES256), or "" if unsupported.
std::string curve_for(const std::string& algorithm);

}  // namespace linkgate::plugins::jwt
