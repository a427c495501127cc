#pragma once
/// @file
/// The user store interface: who the users are.

#include <string_view>

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"

namespace linkgate::sdk {

/// Looks users up and, when sign-up is on, creates them.
///
/// Thread safety: every method may be called concurrently from many threads.
/// Errors: ErrorCode::not_found when no user matches (an expected outcome),
/// ErrorCode::unsupported from create() on a read-only store, ErrorCode::unavailable when the
/// backing store is down. Identifiers arrive normalised by the host. Methods should not throw;
/// the host catches what escapes and treats it as ErrorCode::internal.
class UserStore {
 public:
  virtual ~UserStore() = default;

  /// The user whose email or phone (per `identifier.kind`) equals `identifier.value`.
  [[nodiscard]] virtual Result<User> find(const Identifier& identifier) = 0;

  /// The user with id @p id.
  [[nodiscard]] virtual Result<User> get(std::string_view id) = 0;

  /// Creates a user for @p identifier, or returns the existing one: concurrent calls with the
  /// same identifier all return the same user.
  [[nodiscard]] virtual Result<User> create(const Identifier& identifier) = 0;

  /// Ready to serve (store reachable, schema present)?
  [[nodiscard]] virtual Result<void> ready() = 0;
};

}  // namespace linkgate::sdk
