#pragma once
// The sql plugin's configuration: its key table — the one place each key's name, type, default
// and description is written — and the settings a checked block gives.

#include <array>
#include <map>
#include <string>

#include "linkgate/sdk/sdk.h"
#include "sql_user_store.h"

namespace linkgate::plugins::sql {

/// The keys of the plugin's `config:` block.
extern const std::array<sdk::ConfigKey, 3> kConfigKeys;

/// The settings @p config names, defaults applied by the view; ErrorCode::invalid for a
/// connector or pool size out of range.
sdk::Result<SqlSettings> read_settings(const sdk::ConfigView& config);

/// The settings of a block in which only @p written is set (for tests). Throws
/// std::invalid_argument on what the server would refuse.
SqlSettings settings_with(const std::map<std::string, std::string>& written);

}  // namespace linkgate::plugins::sql
