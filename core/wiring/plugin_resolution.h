#pragma once
// Finds the configured plugins and checks each `config:` block against the keys it declares.

#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/env_expand.h"
#include "config/plugin_config.h"
#include "config/settings.h"
#include "plugin_host/plugin_host.h"

namespace linkgate::wiring {

struct ResolvedPlugin {
  config::PluginUse use;
  plugin_host::PluginLibrary library;
  config::PluginConfig config;
};

struct ResolvedPlugins {
  ResolvedPlugin token;
  std::vector<ResolvedPlugin> delivery;  // in the order of `delivery:`
  std::vector<sdk::AddressKind> delivery_kinds;
  ResolvedPlugin users;
};

/// Loads every configured plugin and validates its block. Problems go to @p diagnostics with the
/// YAML path and line; nullopt if there was any.
std::optional<ResolvedPlugins> resolve_plugins(
    const config::Settings& settings, plugin_host::PluginHost& host,
    config::Diagnostics& diagnostics, const config::EnvLookup& env = config::process_environment());

}  // namespace linkgate::wiring
