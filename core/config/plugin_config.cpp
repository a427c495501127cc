#include "config/plugin_config.h"

#include "config/data_paths.h"
#include "config/yaml_reader.h"

#include <algorithm>

namespace linkgate::config {

PluginConfig PluginConfig::validate(const PluginUse& use, std::span<const sdk::ConfigKey> keys,
                                    Diagnostics& diagnostics, const EnvLookup& env) {
  const YAML::Node& block = use.config;
  const bool has_block = block.IsDefined() && block.IsMap();
  if (!has_block && block.IsDefined() && !block.IsNull()) {
    diagnostics.add(use.path, std::string("expected a mapping, got ") + shape_of(block),
                    line_of(block));
  }
  auto expanded = [&](const YAML::Node& scalar,
                      const std::string& at) -> std::optional<std::string> {
    auto e = expand_environment(scalar.Scalar(), env);
    if (!e.error.empty()) {
      diagnostics.add(at, e.error, line_of(scalar));
      return std::nullopt;
    }
    return e.value;
  };

  // The YAML as written values: environment expanded, shapes named for messages.
  std::map<std::string, plugin_block::Written> written;
  if (has_block) {
    for (auto it = block.begin(); it != block.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary pair.
      const YAML::Node key_node = it->first;
      const YAML::Node node = it->second;
      const std::string name = key_node.IsScalar() ? key_node.Scalar() : "?";
      const std::string at = use.path + "." + name;
      const bool declared = std::any_of(keys.begin(), keys.end(),
                                        [&](const sdk::ConfigKey& k) { return name == k.name; });
      if (node.IsNull() && declared) continue;  // `key:` with nothing is the same as no key
      plugin_block::Written w;
      w.line = line_of(key_node);
      w.shape_name = shape_of(node);
      if (node.IsScalar()) {
        w.shape = plugin_block::Written::Shape::scalar;
        auto value = expanded(node, at);
        if (!value) continue;
        w.scalar = *value;
      } else if (node.IsSequence()) {
        w.shape = plugin_block::Written::Shape::list;
        for (std::size_t i = 0; i < node.size(); ++i) {
          const std::string item = at + "[" + std::to_string(i) + "]";
          if (!node[i].IsScalar()) {
            diagnostics.add(item, std::string("expected a string, got ") + shape_of(node[i]),
                            line_of(node[i]));
          } else if (auto value = expanded(node[i], item)) {
            w.list.push_back(*value);
          }
        }
      } else if (node.IsMap()) {
        w.shape = plugin_block::Written::Shape::map;
        for (auto entry = node.begin(); entry != node.end(); ++entry) {
          const YAML::Node entry_key = entry->first;
          const YAML::Node entry_value = entry->second;
          const std::string key = entry_key.Scalar();
          const std::string item = at + "." + key;
          if (!entry_value.IsScalar()) {
            diagnostics.add(item, std::string("expected a string, got ") + shape_of(entry_value),
                            line_of(entry_value));
          } else if (auto value = expanded(entry_value, item)) {
            w.map[key] = *value;
          }
        }
      } else {
        w.shape = plugin_block::Written::Shape::other;
      }
      written[name] = std::move(w);
    }
  }
  std::vector<plugin_block::Problem> problems;
  auto checked = plugin_block::check_block(use.path, use.name, keys, written,
                                           has_block ? line_of(block) : use.line, problems);
  for (const auto& p : problems) diagnostics.add(p.path, p.message, p.line);
  PluginConfig config(std::move(checked));
  config.base_dir_ = use.base_dir;
  return config;
}

std::string PluginConfig::resolve_path(std::string_view path) const {
  if (base_dir_.empty()) return TypedBlock::resolve_path(path);
  return resolve_against(base_dir_, path);
}

}  // namespace linkgate::config
