#pragma once
// Access tokens: ES256 JWTs with `kid`, verifiable by any JWT library through the JWKS.

#include <chrono>
#include <memory>
#include <string>

#include "linkgate/sdk/host_services.h"
#include "linkgate/sdk/types.h"
#include "session/revocation_watch.h"
#include "session/signing_keys.h"
#include "util/unique_ids.h"

namespace linkgate::session {

struct SessionClaims {
  std::string sub, email, phone, jti;
  std::int64_t iat = 0, exp = 0;
};

struct IssuedSession {
  std::string token;
  std::int64_t expires_at = 0;
};

/// Issues access tokens. Thread-safe.
class SessionIssuer {
 public:
  virtual ~SessionIssuer() = default;
  /// A signed access token for @p user; unavailable when no signing key can be had.
  virtual sdk::Result<IssuedSession> issue(const sdk::User& user) = 0;
};

class SessionTokens final : public SessionIssuer {
 public:
  SessionTokens(SigningKeys& keys, std::string issuer, std::string audience,
                std::chrono::milliseconds ttl, sdk::HostServices& services);

  sdk::Result<IssuedSession> issue(const sdk::User& user) override;
  /// Checks signature (by `kid`, ES256 only), issuer, audience, expiry and revocation.
  sdk::Result<SessionClaims> verify(const std::string& token);
  /// Revokes the session until it would have expired anyway.
  sdk::Result<void> revoke(const SessionClaims& claims);
  /// Has verify() remember "not revoked" answers while @p watch says no revocation came since
  /// (a revocation store in an SQLite database; see revocation_watch.h), and revoke() move it.
  /// Call before the first verify(); null reads the store on every verify().
  void watch_revocations(std::shared_ptr<RevocationWatch> watch) { watch_ = std::move(watch); }
  [[nodiscard]] std::int64_t ttl_seconds() const { return ttl_.count() / 1000; }

 private:
  SigningKeys& keys_;
  std::string issuer_;
  std::string audience_;
  std::chrono::milliseconds ttl_;
  sdk::HostServices& services_;
  util::UniqueIds jti_;  // unique, not secret: a session is revoked by its jti
  std::shared_ptr<RevocationWatch> watch_;
};

}  // namespace linkgate::session
