#include "config/plugin_config.h"

#include <filesystem>

#include "config/yaml_reader.h"

namespace linkgate::config {
namespace {

// Checks that @p text parses as @p type; returns an error message or "".
std::string check_scalar(sdk::ConfigType type, const std::string& text) {
  switch (type) {
    case sdk::ConfigType::integer:
      return parse_integer(text) ? "" : "expected an integer, got \"" + text + "\"";
    case sdk::ConfigType::boolean:
      return parse_boolean(text) ? "" : "expected true or false, got \"" + text + "\"";
    case sdk::ConfigType::duration:
      return parse_duration(text) ? "" : "expected a duration such as 10s, got \"" + text + "\"";
    default:
      return "";
  }
}

std::string known_keys(std::span<const sdk::ConfigKey> keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out.empty() ? "none" : out;
}

}  // namespace

PluginConfig PluginConfig::validate(const PluginUse& use, std::span<const sdk::ConfigKey> keys,
                                    Diagnostics& diagnostics, const EnvLookup& env) {
  PluginConfig config;
  config.path_ = use.path;
  const YAML::Node& block = use.config;
  const bool has_block = block.IsDefined() && block.IsMap();
  const int block_line = has_block ? line_of(block) : use.line;

  for (const auto& key : keys) {
    Value value;
    value.type = key.type;
    const std::string key_path = use.path + "." + key.name;
    YAML::Node node = has_block ? block[key.name] : YAML::Node();
    const bool written = node.IsDefined() && !node.IsNull();
    const int line = written ? line_of(node) : block_line;

    auto expand = [&](const YAML::Node& scalar_node,
                      const std::string& at) -> std::optional<std::string> {
      auto e = expand_environment(scalar_node.Scalar(), env);
      if (!e.error.empty()) {
        diagnostics.add(at, e.error, line_of(scalar_node));
        return std::nullopt;
      }
      return e.value;
    };

    if (written) {
      value.set = value.present = true;
      if (key.type == sdk::ConfigType::string_list) {
        if (node.IsScalar()) {
          if (auto s = expand(node, key_path)) value.list.push_back(*s);
        } else if (node.IsSequence()) {
          for (std::size_t i = 0; i < node.size(); ++i) {
            std::string at = key_path + "[" + std::to_string(i) + "]";
            if (!node[i].IsScalar()) {
              diagnostics.add(at, std::string("expected a string, got ") + shape_of(node[i]),
                              line_of(node[i]));
            } else if (auto s = expand(node[i], at)) {
              value.list.push_back(*s);
            }
          }
        } else {
          diagnostics.add(key_path, std::string("expected a list, got ") + shape_of(node), line);
        }
      } else if (key.type == sdk::ConfigType::string_map) {
        if (!node.IsMap()) {
          diagnostics.add(key_path, std::string("expected a mapping, got ") + shape_of(node), line);
        } else {
          for (auto it = node.begin(); it != node.end(); ++it) {
            std::string name = it->first.Scalar();
            std::string at = key_path + "." + name;
            if (!it->second.IsScalar()) {
              diagnostics.add(at, std::string("expected a string, got ") + shape_of(it->second),
                              line_of(it->second));
            } else if (auto s = expand(it->second, at)) {
              value.map[name] = *s;
            }
          }
        }
      } else if (!node.IsScalar()) {
        diagnostics.add(
            key_path,
            std::string("expected ") + sdk::to_string(key.type) + ", got " + shape_of(node), line);
      } else if (auto s = expand(node, key_path)) {
        std::string problem = check_scalar(key.type, *s);
        if (!problem.empty()) diagnostics.add(key_path, problem, line);
        value.scalar = *s;
      }
    } else if (key.required) {
      diagnostics.add(key_path, "required by plugin " + use.name, block_line);
    } else if (key.default_value != nullptr) {
      value.present = true;
      std::string def = key.default_value;
      if (key.type == sdk::ConfigType::string_list) {
        if (!def.empty()) value.list.push_back(def);
      } else {
        std::string problem = check_scalar(key.type, def);
        if (!problem.empty()) {
          diagnostics.add(key_path, "plugin " + use.name + " declares a bad default: " + problem,
                          block_line);
        }
        value.scalar = def;
      }
    }
    config.values_[key.name] = std::move(value);
  }

  if (has_block) {
    for (auto it = block.begin(); it != block.end(); ++it) {
      std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
      if (!config.values_.count(name)) {
        diagnostics.add(use.path + "." + name,
                        "unknown key for plugin " + use.name + " (known: " + known_keys(keys) + ")",
                        line_of(it->first));
      }
    }
  } else if (block.IsDefined() && !block.IsNull()) {
    diagnostics.add(use.path, std::string("expected a mapping, got ") + shape_of(block),
                    line_of(block));
  }
  return config;
}

const PluginConfig::Value* PluginConfig::find(std::string_view key,
                                              std::initializer_list<sdk::ConfigType> types) const {
  auto it = values_.find(key);
  if (it == values_.end() || !it->second.present) return nullptr;
  for (auto t : types) {
    if (it->second.type == t) return &it->second;
  }
  return nullptr;
}

bool PluginConfig::is_set(std::string_view key) const {
  auto it = values_.find(key);
  return it != values_.end() && it->second.set;
}

std::optional<std::string> PluginConfig::get_string(std::string_view key) const {
  auto* v = find(key, {sdk::ConfigType::string, sdk::ConfigType::secret, sdk::ConfigType::integer,
                       sdk::ConfigType::boolean, sdk::ConfigType::duration});
  if (!v) return std::nullopt;
  return v->scalar;
}

std::optional<std::int64_t> PluginConfig::get_int(std::string_view key) const {
  auto* v = find(key, {sdk::ConfigType::integer});
  return v ? parse_integer(v->scalar) : std::nullopt;
}

std::optional<bool> PluginConfig::get_bool(std::string_view key) const {
  auto* v = find(key, {sdk::ConfigType::boolean});
  return v ? parse_boolean(v->scalar) : std::nullopt;
}

std::optional<std::chrono::milliseconds> PluginConfig::get_duration(std::string_view key) const {
  auto* v = find(key, {sdk::ConfigType::duration});
  return v ? parse_duration(v->scalar) : std::nullopt;
}

std::vector<std::string> PluginConfig::get_list(std::string_view key) const {
  auto* v = find(key, {sdk::ConfigType::string_list});
  return v ? v->list : std::vector<std::string>{};
}

std::map<std::string, std::string> PluginConfig::get_map(std::string_view key) const {
  auto* v = find(key, {sdk::ConfigType::string_map});
  return v ? v->map : std::map<std::string, std::string>{};
}

std::string PluginConfig::resolve_path(std::string_view path) const {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::current_path() / p).lexically_normal().string();
}

}  // namespace linkgate::config
