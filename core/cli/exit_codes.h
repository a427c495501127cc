#pragma once
// What the operator commands exit with (docs/operations.md lists them for scripts).

namespace linkgate::cli {

inline constexpr int kExitOk = 0;
/// The command could not do it: the store is down, refused the change (a read-only store), or
/// the server could not be signalled.
inline constexpr int kExitFailed = 1;
/// Wrong command, option or argument (a malformed address, an unknown state).
inline constexpr int kExitUsage = 2;
/// No such user or message.
inline constexpr int kExitNotFound = 3;
/// The configuration file cannot be read or used (as `serve` exits, EX_CONFIG).
inline constexpr int kExitConfig = 78;

}  // namespace linkgate::cli
