#pragma once
// The jwt plugin's configuration: its key table — the one place each key's name, type, default
// and description is written — and the settings a checked block gives.

#include <array>
#include <map>
#include <string>

#include "jwt_token_strategy.h"
#include "linkgate/sdk/sdk.h"

namespace linkgate::plugins::jwt {

/// The keys of the plugin's `config:` block (what `linkgate plugins` prints and the README's
/// table is generated from).
extern const std::array<sdk::ConfigKey, 5> kConfigKeys;

/// The settings @p config names, its declared defaults applied by the view. ErrorCode::invalid
/// (with the key's path) for an algorithm this plugin does not offer.
sdk::Result<JwtSettings> read_settings(const sdk::ConfigView& config);

/// The settings of a block in which only @p written is set, checked like the server checks a
/// file (for tests and benchmarks). Throws std::invalid_argument on a value the server refuses.
JwtSettings settings_with(const std::map<std::string, std::string>& written);

}  // namespace linkgate::plugins::jwt
