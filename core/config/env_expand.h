#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace linkgate::config {

/// Looks an environment variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
/// The process environment.
EnvLookup process_environment();

/// Replaces `${NAME}` and `${NAME:-default}` in @p text. Returns the expanded text, or an error
/// message naming the variable that is unset without a default (or the malformed reference).
struct Expansion {
  std::string value;
  std::string error;  // empty on success
};
Expansion expand_environment(std::string_view text, const EnvLookup& env);

}  // namespace linkgate::config
