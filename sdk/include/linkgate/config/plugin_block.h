#pragma once
/// @file
/// The one checker of a plugin's `config:` block against the keys the plugin declares: the
/// server runs it on the YAML file, the testkit on the values a test writes, so a plugin that
/// passes its testkit suite with some config is accepted by `check-config` with the same config.
/// Header-only; installed with the SDK, but not part of the plugin ABI (plugins never call it).

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "linkgate/sdk/config_view.h"

namespace linkgate::plugin_block {

/// A whole 64-bit integer, nothing else; nullopt otherwise.
inline std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

/// true/false, also yes/no and on/off as YAML 1.1 reads them, in any case; nullopt otherwise.
inline std::optional<bool> parse_boolean(std::string_view text) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  return std::nullopt;
}

/// `250ms`, `90s`, `15m`, `1h`, `7d`, or a sum such as `1h30m`; nullopt if malformed, negative
/// or past 64 bits of milliseconds.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || n < 0 || end == text.data() + i) return std::nullopt;
    i = static_cast<std::size_t>(end - text.data());
    std::int64_t unit_ms = 0;
    if (text.substr(i, 2) == "ms") {
      unit_ms = 1;
      i += 2;
    } else if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit_ms = 1000;
          break;
        case 'm':
          unit_ms = 60'000;
          break;
        case 'h':
          unit_ms = 3'600'000;
          break;
        case 'd':
          unit_ms = 86'400'000;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    } else {
      return std::nullopt;  // a number without a unit is ambiguous
    }
    if (n > (std::numeric_limits<std::int64_t>::max() - total) / unit_ms) return std::nullopt;
    total += n * unit_ms;
  }
  return std::chrono::milliseconds(total);
}

/// One value as it is written in a block, before it is typed.
struct Written {
  enum class Shape { scalar, list, map, other };
  Shape shape = Shape::scalar;
  std::string scalar;
  std::vector<std::string> list;
  std::map<std::string, std::string> map;
  std::string shape_name;  ///< how messages name the shape: "scalar", "list", "mapping", "null"
  int line = 0;
};

/// One problem, as `check-config` prints it.
struct Problem {
  std::string path;
  std::string message;
  int line = 0;
};

/// A checked block: the declared keys, typed, with their defaults. What a plugin's factory
/// reads through sdk::ConfigView.
class TypedBlock : public sdk::ConfigView {
 public:
  bool is_set(std::string_view key) const override {
    auto it = values_.find(key);
    return it != values_.end() && it->second.set;
  }
  std::optional<std::string> get_string(std::string_view key) const override {
    auto* v = find(key, {sdk::ConfigType::string, sdk::ConfigType::secret, sdk::ConfigType::integer,
                         sdk::ConfigType::boolean, sdk::ConfigType::duration});
    if (!v) return std::nullopt;
    return v->scalar;
  }
  std::optional<std::int64_t> get_int(std::string_view key) const override {
    auto* v = find(key, {sdk::ConfigType::integer});
    return v ? parse_integer(v->scalar) : std::nullopt;
  }
  std::optional<bool> get_bool(std::string_view key) const override {
    auto* v = find(key, {sdk::ConfigType::boolean});
    return v ? parse_boolean(v->scalar) : std::nullopt;
  }
  std::optional<std::chrono::milliseconds> get_duration(std::string_view key) const override {
    auto* v = find(key, {sdk::ConfigType::duration});
    return v ? parse_duration(v->scalar) : std::nullopt;
  }
  std::vector<std::string> get_list(std::string_view key) const override {
    auto* v = find(key, {sdk::ConfigType::string_list});
    return v ? v->list : std::vector<std::string>{};
  }
  std::map<std::string, std::string> get_map(std::string_view key) const override {
    auto* v = find(key, {sdk::ConfigType::string_map});
    return v ? v->map : std::map<std::string, std::string>{};
  }
  std::string path() const override { return path_; }
  std::string resolve_path(std::string_view path) const override {
    std::filesystem::path p(path);
    if (p.is_absolute()) return p.lexically_normal().string();
    return (std::filesystem::current_path() / p).lexically_normal().string();
  }

 private:
  friend TypedBlock check_block(std::string path, std::string_view plugin,
                                std::span<const sdk::ConfigKey> keys,
                                const std::map<std::string, Written>& written, int block_line,
                                std::vector<Problem>& problems);
  struct Value {
    sdk::ConfigType type = sdk::ConfigType::string;
    bool set = false;      // written in the block
    bool present = false;  // written or defaulted
    std::string scalar;
    std::vector<std::string> list;
    std::map<std::string, std::string> map;
  };
  const Value* find(std::string_view key, std::initializer_list<sdk::ConfigType> types) const {
    auto it = values_.find(key);
    if (it == values_.end() || !it->second.present) return nullptr;
    for (auto t : types) {
      if (it->second.type == t) return &it->second;
    }
    return nullptr;
  }

  std::map<std::string, Value, std::less<>> values_;
  std::string path_;
};

namespace detail {
inline std::string scalar_problem(sdk::ConfigType type, const std::string& text) {
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
}  // namespace detail

/// Checks @p written (the block at YAML path @p path, e.g. `delivery[1].config`, starting at
/// @p block_line) against @p keys, the declared keys of plugin @p plugin: unknown keys, missing
/// required keys, values of the wrong shape or type, and bad declared defaults each add a
/// Problem. Returns the typed values with defaults applied (complete only when nothing was
/// added to @p problems).
inline TypedBlock check_block(std::string path, std::string_view plugin,
                              std::span<const sdk::ConfigKey> keys,
                              const std::map<std::string, Written>& written, int block_line,
                              std::vector<Problem>& problems) {
  TypedBlock block;
  block.path_ = path;
  std::string known;
  for (const auto& k : keys) known += (known.empty() ? "" : ", ") + std::string(k.name);
  for (const auto& entry : written) {
    const std::string& name = entry.first;
    const bool declared = std::any_of(keys.begin(), keys.end(),
                                      [&](const sdk::ConfigKey& k) { return name == k.name; });
    if (!declared) {
      problems.push_back({path + "." + name,
                          "unknown key for plugin " + std::string(plugin) +
                              " (known: " + (known.empty() ? "none" : known) + ")",
                          entry.second.line});
    }
  }
  for (const auto& key : keys) {
    TypedBlock::Value value;
    value.type = key.type;
    const std::string key_path = path + "." + key.name;
    auto it = written.find(key.name);
    if (it != written.end()) {
      const Written& w = it->second;
      value.set = value.present = true;
      if (key.type == sdk::ConfigType::string_list) {
        if (w.shape == Written::Shape::scalar) {
          value.list.push_back(w.scalar);
        } else if (w.shape == Written::Shape::list) {
          value.list = w.list;
        } else {
          problems.push_back({key_path, "expected a list, got " + w.shape_name, w.line});
        }
      } else if (key.type == sdk::ConfigType::string_map) {
        if (w.shape == Written::Shape::map) {
          value.map = w.map;
        } else {
          problems.push_back({key_path, "expected a mapping, got " + w.shape_name, w.line});
        }
      } else if (w.shape != Written::Shape::scalar) {
        problems.push_back(
            {key_path,
             std::string("expected ") + sdk::to_string(key.type) + ", got " + w.shape_name,
             w.line});
      } else {
        const std::string problem = detail::scalar_problem(key.type, w.scalar);
        if (!problem.empty()) problems.push_back({key_path, problem, w.line});
        value.scalar = w.scalar;
      }
    } else if (key.required) {
      problems.push_back({key_path, "required by plugin " + std::string(plugin), block_line});
    } else if (key.default_value != nullptr) {
      value.present = true;
      const std::string def = key.default_value;
      if (key.type == sdk::ConfigType::string_list) {
        if (!def.empty()) value.list.push_back(def);
      } else {
        const std::string problem = detail::scalar_problem(key.type, def);
        if (!problem.empty()) {
          problems.push_back(
              {key_path, "plugin " + std::string(plugin) + " declares a bad default: " + problem,
               block_line});
        }
        value.scalar = def;
      }
    }
    block.values_[key.name] = std::move(value);
  }
  return block;
}

namespace detail {
inline std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> out;
  for (std::size_t start = 0; !text.empty() && start <= text.size();) {
    const auto end = text.find(by, start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}
}  // namespace detail

/// The block at @p path in which only @p written is set, each value as a test writes it (lists
/// as `a,b,c`, maps as `k1=v1,k2=v2`), checked against @p keys like a file; every problem goes
/// to @p problems. What the testkit's LoadedPlugin and a plugin's own tests build a config from.
inline TypedBlock check_text(std::string path, std::string_view plugin,
                             std::span<const sdk::ConfigKey> keys,
                             const std::map<std::string, std::string>& written,
                             std::vector<Problem>& problems) {
  std::map<std::string, Written> block;
  for (const auto& [name, text] : written) {
    Written w;
    w.scalar = text;
    w.shape_name = "scalar";
    for (const auto& k : keys) {
      if (name != k.name) continue;
      if (k.type == sdk::ConfigType::string_list) {
        w.shape = Written::Shape::list;
        w.shape_name = "list";
        w.list = detail::split(text, ',');
      } else if (k.type == sdk::ConfigType::string_map) {
        w.shape = Written::Shape::map;
        w.shape_name = "mapping";
        for (const auto& item : detail::split(text, ',')) {
          const auto eq = item.find('=');
          if (eq != std::string::npos) w.map[item.substr(0, eq)] = item.substr(eq + 1);
        }
      }
    }
    block[name] = std::move(w);
  }
  return check_block(std::move(path), plugin, keys, block, 0, problems);
}

/// A plugin's settings for its own tests, built through its key table rather than by repeating
/// its defaults: @p read (the plugin's `read_settings`) applied to check_text(). Throws
/// std::invalid_argument naming the first problem when the server would refuse @p written.
template <class Read>
auto settings_from(std::string_view plugin, std::span<const sdk::ConfigKey> keys,
                   const std::map<std::string, std::string>& written, Read&& read) {
  std::vector<Problem> problems;
  auto block = check_text(std::string(plugin) + ".config", plugin, keys, written, problems);
  if (!problems.empty()) {
    throw std::invalid_argument(problems.front().path + ": " + problems.front().message);
  }
  auto settings = read(block);
  if (!settings.ok()) throw std::invalid_argument(settings.error().message);
  return std::move(settings).value();
}

}  // namespace linkgate::plugin_block
