#pragma once
// The sms-http plugin's configuration: its key table — the one place each key's name, type,
// default and description is written — and the settings a checked block gives.

#include <array>
#include <map>
#include <string>

#include "linkgate/sdk/sdk.h"
#include "sms_gateway.h"

namespace linkgate::plugins::sms {

/// The keys of the plugin's `config:` block.
extern const std::array<sdk::ConfigKey, 11> kConfigKeys;

/// The settings @p config names (a generic gateway or the twilio preset), defaults applied by the
/// view; ErrorCode::invalid (with the key's path) for what the channel cannot work with.
sdk::Result<GatewaySettings> read_settings(const sdk::ConfigView& config);

/// The settings of a block in which only @p written is set (for tests). Throws
/// std::invalid_argument on what the server would refuse.
GatewaySettings settings_with(const std::map<std::string, std::string>& written);

}  // namespace linkgate::plugins::sms
