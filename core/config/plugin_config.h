#pragma once
// A plugin's `config:` block, checked against the keys the plugin declares, exposed to the
// plugin through the SDK's ConfigView. The check itself is the SDK's (linkgate/config/
// plugin_block.h), the same one the testkit runs: this file only reads the YAML.

#include <span>
#include <string>

#include "config/diagnostics.h"
#include "config/env_expand.h"
#include "config/settings.h"
#include "linkgate/config/plugin_block.h"
#include "linkgate/sdk/config_view.h"

namespace linkgate::config {

class PluginConfig final : public plugin_block::TypedBlock {
 public:
  PluginConfig() = default;
  explicit PluginConfig(plugin_block::TypedBlock block) : TypedBlock(std::move(block)) {}

  /// Validates @p use.config against @p keys: unknown keys, missing required keys and values of
  /// the wrong type are reported to @p diagnostics under `use.path`, with their lines.
  static PluginConfig validate(const PluginUse& use, std::span<const sdk::ConfigKey> keys,
                               Diagnostics& diagnostics, const EnvLookup& env);

  /// Against `data_dir` when the file sets one (PluginUse::base_dir), else the working directory.
  [[nodiscard]] std::string resolve_path(std::string_view path) const override;

 private:
  std::string base_dir_;
};

}  // namespace linkgate::config
