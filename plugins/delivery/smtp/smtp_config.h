#pragma once
// The smtp plugin's configuration: its key table — the one place each key's name, type, default
// and description is written — and the settings a checked block gives.

#include <array>
#include <map>
#include <string>

#include "linkgate/sdk/sdk.h"
#include "smtp_channel.h"

namespace linkgate::plugins::smtp {

/// The keys of the plugin's `config:` block.
extern const std::array<sdk::ConfigKey, 14> kConfigKeys;

/// The settings @p config names, defaults applied by the view; ErrorCode::invalid (with the
/// key's path) for a value the channel cannot work with.
sdk::Result<SmtpSettings> read_settings(const sdk::ConfigView& config);

/// The settings of a block in which only @p written is set (for tests). Throws
/// std::invalid_argument on what the server would refuse.
SmtpSettings settings_with(const std::map<std::string, std::string>& written);

}  // namespace linkgate::plugins::smtp
