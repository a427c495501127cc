#pragma once
/// @file
/// The user store interface: who the users are.

#include <string_view>

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"

namespace linkgate::sdk {

/// Looks users up and, when sign-up is on, creates them; lets operators list, disable and delete
/// them (`linkgate users …`).
///
/// Thread safety: every method may be called concurrently from many threads, and from several
/// processes sharing the store (the server and an operator's command).
/// Errors: ErrorCode::not_found when no user matches (an expected outcome),
/// ErrorCode::unsupported from create(), set_disabled() and remove() on a read-only store and
/// from the operator methods a store does not offer, ErrorCode::unavailable when the backing
/// store is down. Identifiers arrive normalised by the host. Methods should not throw; the host
/// catches what escapes and treats it as ErrorCode::internal.
///
/// A disabled user is still found (with User::disabled set): the host then answers a sign-in
/// exactly as for a stranger and refuses to redeem the user's links and codes.
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

  /// Up to @p limit users (at least 1) with ids greater than @p after (empty: from the first),
  /// ordered by id. For operators' tools, never on the request path. The default answers
  /// ErrorCode::unsupported.
  [[nodiscard]] virtual Result<UserPage> list(std::string_view after, std::size_t limit) {
    (void)after;
    (void)limit;
    return fail(ErrorCode::unsupported, "this user store cannot list its users");
  }

  /// Disables (or with @p disabled false, enables again) the user with id @p id. Takes effect
  /// for every instance sharing the store at its next find() or get(). ErrorCode::not_found for
  /// an unknown id. The default answers ErrorCode::unsupported.
  [[nodiscard]] virtual Result<void> set_disabled(std::string_view id, bool disabled) {
    (void)id;
    (void)disabled;
    return fail(ErrorCode::unsupported, "this user store cannot disable users");
  }

  /// Deletes the user with id @p id; a later create() for the same identifier makes a new user
  /// with a new id. ErrorCode::not_found for an unknown id. The default answers
  /// ErrorCode::unsupported.
  [[nodiscard]] virtual Result<void> remove(std::string_view id) {
    (void)id;
    return fail(ErrorCode::unsupported, "this user store cannot delete users");
  }
};

}  // namespace linkgate::sdk
