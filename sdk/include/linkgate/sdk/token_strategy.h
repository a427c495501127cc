#pragma once
/// @file
/// The token strategy interface: how a link token is made and checked.

#include <string_view>

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"

namespace linkgate::sdk {

/// Issues and redeems link tokens. One instance serves all requests.
///
/// Thread safety: every method may be called concurrently from many threads.
/// Errors: expected outcomes are returned, never thrown: ErrorCode::invalid (malformed,
/// tampered, unknown), ErrorCode::expired, ErrorCode::used, ErrorCode::unavailable (store down).
/// Methods should not throw; an exception that escapes anyway is caught by the host, logged
/// with the plugin's name and treated as ErrorCode::internal (the request fails, the server
/// keeps serving).
class TokenStrategy {
 public:
  virtual ~TokenStrategy() = default;

  /// Makes a token for @p grant that redeems until `grant.expires_at`.
  [[nodiscard]] virtual Result<IssuedToken> issue(const LinkGrant& grant) = 0;

  /// Checks @p token without consuming it (the confirm page and scanners call this).
  /// Returns the grant, or invalid / expired / used.
  [[nodiscard]] virtual Result<LinkGrant> inspect(std::string_view token) = 0;

  /// Checks @p token on the way to redeem(): as inspect() does, except that whether it was
  /// already used may be left out. The host calls this when a link is redeemed and then, if
  /// everything else holds, redeem() while it completes the flow — and a completed flow refuses
  /// the link anyway — so "used" is decided there; a strategy whose used tokens are only known
  /// from a store (a replay record) saves that read here. A strategy that reads its store for
  /// the grant anyway keeps the default, which is inspect().
  /// Consumes nothing; thread safety as every method. Returns the grant, or invalid / expired,
  /// or used where the strategy knows it without another read; unavailable when a store it
  /// needs is down.
  [[nodiscard]] virtual Result<LinkGrant> inspect_for_redeem(std::string_view token) {
    return inspect(token);
  }

  /// Consumes @p token: of any number of concurrent calls with the same token, on any instance
  /// sharing the store, exactly one signs in; the rest get ErrorCode::used — from here, or from
  /// the host when a write made here through HostServices::expiring_keys() commits with the
  /// flow's completion and another caller's came first (ExpiringKeys::insert_if_absent). The
  /// host calls it while it completes the token's sign-in flow.
  [[nodiscard]] virtual Result<LinkGrant> redeem(std::string_view token) = 0;

  /// Makes every outstanding token of @p subject unusable. Optional: a strategy without state
  /// returns ErrorCode::unsupported (the host then relies on its own flow records).
  [[nodiscard]] virtual Result<void> revoke_subject(std::string_view subject) = 0;

  /// Ready to serve (keys loaded, store reachable)? The failure message is shown by /readyz.
  [[nodiscard]] virtual Result<void> ready() = 0;
};

}  // namespace linkgate::sdk
