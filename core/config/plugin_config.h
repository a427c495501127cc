#pragma once
// A plugin's `config:` block, checked against the keys the plugin declares, exposed to the
// plugin through the SDK's ConfigView.

#include <map>
#include <span>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/env_expand.h"
#include "config/settings.h"
#include "linkgate/sdk/config_view.h"

namespace linkgate::config {

class PluginConfig final : public sdk::ConfigView {
 public:
  /// Validates @p use.config against @p keys: unknown keys, missing required keys and values of
  /// the wrong type are reported to @p diagnostics under `use.path`.
  static PluginConfig validate(const PluginUse& use, std::span<const sdk::ConfigKey> keys,
                               Diagnostics& diagnostics, const EnvLookup& env);

  bool is_set(std::string_view key) const override;
  std::optional<std::string> get_string(std::string_view key) const override;
  std::optional<std::int64_t> get_int(std::string_view key) const override;
  std::optional<bool> get_bool(std::string_view key) const override;
  std::optional<std::chrono::milliseconds> get_duration(std::string_view key) const override;
  std::vector<std::string> get_list(std::string_view key) const override;
  std::map<std::string, std::string> get_map(std::string_view key) const override;
  std::string path() const override { return path_; }
  std::string resolve_path(std::string_view path) const override;

 private:
  struct Value {
    sdk::ConfigType type = sdk::ConfigType::string;
    bool set = false;      // written in the file
    bool present = false;  // written or defaulted
    std::string scalar;
    std::vector<std::string> list;
    std::map<std::string, std::string> map;
  };
  const Value* find(std::string_view key, std::initializer_list<sdk::ConfigType> types) const;

  std::map<std::string, Value, std::less<>> values_;
  std::string path_;
};

}  // namespace linkgate::config
