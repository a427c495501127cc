#pragma once

#include <cstdint>
#include <string_view>

namespace linkgate::plugins::jwt {

/// The last signed token whose signature this thread verified, for one strategy instance.
///
/// The core calls redeem() with the token inspect() verified a moment before, on the same
/// thread when the plugin's calls run on the request's thread (call_timeout: 0s), and the ECDSA
/// verify is most of either call's work. A match is the exact bytes (compared in constant time)
/// under the same instance, whose key never changes, so it proves what a second verify would;
/// claims and expiry are still checked on every call. Longer tokens than a link are never kept.
///
/// Thread safety: each thread has its own entry. The storage is trivially destructible
/// thread-local memory, so no destructor of it runs after the library is gone.
class SignatureMemo {
 public:
  SignatureMemo();  // a fresh owner: entries another instance left never match

  /// Whether this thread's last remember() for this instance was exactly @p signed_token.
  [[nodiscard]] bool holds(std::string_view signed_token) const noexcept;
  /// Remembers @p signed_token (whose signature was just verified) for this thread.
  void remember(std::string_view signed_token) const noexcept;

 private:
  std::uint64_t owner_;
};

}  // namespace linkgate::plugins::jwt
