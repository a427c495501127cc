#pragma once
/// @file
/// LoadedPlugin: loads a built plugin library the way the server does (Boost.DLL, the
/// `linkgate_plugin` alias, the ABI check) and creates its object from a config block written as
/// strings, checked against the plugin's declared keys like the server checks a YAML block.
/// Header-only; part of the linkgate plugin testkit.

#include <boost/dll/shared_library.hpp>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "linkgate/sdk/plugin.h"

namespace linkgate::testkit {

/// Config values as the test writes them: `"10s"`, `"587"`, `"true"`, lists as `"a,b,c"`, maps
/// as `"k1=v1,k2=v2"`.
using ConfigValues = std::map<std::string, std::string>;

namespace detail {

inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  while (!text.empty()) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    std::int64_t unit = 0;
    if (text.rfind("ms", 0) == 0) {
      unit = 1, text.remove_prefix(2);
    } else if (!text.empty()) {
      switch (text.front()) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60'000;
          break;
        case 'h':
          unit = 3'600'000;
          break;
        case 'd':
          unit = 86'400'000;
          break;
        default:
          return std::nullopt;
      }
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    total += n * unit;
  }
  return std::chrono::milliseconds(total);
}

inline std::vector<std::string> split(const std::string& s, char by) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    auto end = s.find(by, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

/// A ConfigView over ConfigValues, typed by the declared keys.
class ValuesView final : public sdk::ConfigView {
 public:
  ValuesView(const sdk::PluginDescriptor& d, ConfigValues values)
      : d_(d), values_(std::move(values)) {
    for (const auto& [key, value] : values_) {
      const sdk::ConfigKey* k = find(key);
      if (k == nullptr) {
        throw std::invalid_argument(std::string("unknown key for plugin ") + d.name + ": " + key);
      }
      if (!valid(*k, value)) {
        throw std::invalid_argument(key + ": expected a " + sdk::to_string(k->type) + ", got \"" +
                                    value + "\"");
      }
    }
    for (std::size_t i = 0; i < d.config_key_count; ++i) {
      const auto& k = d.config_keys[i];
      if (k.required && !values_.count(k.name)) {
        throw std::invalid_argument(std::string("required key missing: ") + k.name);
      }
    }
  }
  bool is_set(std::string_view key) const override { return values_.count(std::string(key)); }
  std::optional<std::string> get_string(std::string_view key) const override { return raw(key); }
  std::optional<std::int64_t> get_int(std::string_view key) const override {
    auto v = typed(key, sdk::ConfigType::integer);
    if (!v) return std::nullopt;
    return std::stoll(*v);
  }
  std::optional<bool> get_bool(std::string_view key) const override {
    auto v = typed(key, sdk::ConfigType::boolean);
    if (!v) return std::nullopt;
    return *v == "true";
  }
  std::optional<std::chrono::milliseconds> get_duration(std::string_view key) const override {
    auto v = typed(key, sdk::ConfigType::duration);
    if (!v) return std::nullopt;
    return parse_duration(*v);
  }
  std::vector<std::string> get_list(std::string_view key) const override {
    auto v = typed(key, sdk::ConfigType::string_list);
    return v ? split(*v, ',') : std::vector<std::string>{};
  }
  std::map<std::string, std::string> get_map(std::string_view key) const override {
    std::map<std::string, std::string> out;
    auto v = typed(key, sdk::ConfigType::string_map);
    if (!v) return out;
    for (const auto& item : split(*v, ',')) {
      auto eq = item.find('=');
      if (eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return out;
  }
  std::string path() const override { return std::string("test.") + d_.name + ".config"; }
  std::string resolve_path(std::string_view path) const override {
    std::filesystem::path p(path);
    return p.is_absolute() ? p.string() : (std::filesystem::current_path() / p).string();
  }

 private:
  const sdk::ConfigKey* find(std::string_view key) const {
    for (std::size_t i = 0; i < d_.config_key_count; ++i) {
      if (key == d_.config_keys[i].name) return &d_.config_keys[i];
    }
    return nullptr;
  }
  static bool valid(const sdk::ConfigKey& k, const std::string& v) {
    switch (k.type) {
      case sdk::ConfigType::integer: {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        return ec == std::errc() && end == v.data() + v.size();
      }
      case sdk::ConfigType::boolean:
        return v == "true" || v == "false";
      case sdk::ConfigType::duration:
        return parse_duration(v).has_value();
      default:
        return true;
    }
  }
  std::optional<std::string> raw(std::string_view key) const {
    auto it = values_.find(std::string(key));
    if (it != values_.end()) return it->second;
    const sdk::ConfigKey* k = find(key);
    if (k != nullptr && k->default_value != nullptr) return std::string(k->default_value);
    return std::nullopt;
  }
  std::optional<std::string> typed(std::string_view key, sdk::ConfigType type) const {
    const sdk::ConfigKey* k = find(key);
    if (k == nullptr || k->type != type) return std::nullopt;
    return raw(key);
  }

  const sdk::PluginDescriptor& d_;
  ConfigValues values_;
};

}  // namespace detail

/// A plugin library, loaded and checked. Objects it creates keep the library loaded (their
/// deleter holds it), so they may outlive this LoadedPlugin.
class LoadedPlugin {
 public:
  /// Loads @p file. Throws std::runtime_error with the reason (not a library, no
  /// `linkgate_plugin` alias, another ABI or build signature: the message names both).
  static LoadedPlugin load(const std::filesystem::path& file) {
    auto library = std::make_shared<boost::dll::shared_library>();
    std::error_code ec;
    library->load(file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec) throw std::runtime_error(file.string() + ": cannot be loaded (" + ec.message() + ")");
    if (!library->has("linkgate_plugin")) {
      throw std::runtime_error(file.string() + ": exports no linkgate_plugin symbol");
    }
    auto& describe = library->get_alias<const sdk::PluginDescriptor*() noexcept>("linkgate_plugin");
    const sdk::PluginDescriptor* d = describe();
    if (d == nullptr) throw std::runtime_error(file.string() + ": returned no descriptor");
    if (d->abi_version != sdk::kAbiVersion) {
      throw std::runtime_error(file.string() + ": built against plugin ABI " +
                               std::to_string(d->abi_version) + ", this testkit is SDK " +
                               sdk::kSdkVersion + " (ABI " + std::to_string(sdk::kAbiVersion) +
                               ")");
    }
    if (d->build_signature == nullptr ||
        std::string_view(d->build_signature) != sdk::kBuildSignature) {
      throw std::runtime_error(file.string() + ": built with " +
                               (d->build_signature ? d->build_signature : "an unknown toolchain") +
                               ", this testkit with " + sdk::kBuildSignature);
    }
    return LoadedPlugin(std::move(library), d);
  }

  [[nodiscard]] const sdk::PluginDescriptor& descriptor() const { return *descriptor_; }

  /// Creates the plugin's object of kind T (TokenStrategy, DeliveryChannel or UserStore) from
  /// @p values, checked against the declared keys. @p host must outlive the object. Throws
  /// std::invalid_argument for a config the declared keys refuse, std::runtime_error when the
  /// factory fails (with its message) or makes another kind.
  template <class T>
  std::shared_ptr<T> create(const ConfigValues& values, sdk::HostServices& host) const {
    detail::ValuesView view(*descriptor_, values);
    sdk::PluginContext context{view, host};
    auto made = descriptor_->create(context);
    if (!made.ok()) {
      throw std::runtime_error(std::string(descriptor_->name) + ": " + made.error().message);
    }
    auto instance = std::move(made).value();
    std::unique_ptr<T> object;
    if constexpr (std::is_same_v<T, sdk::TokenStrategy>)
      object = std::move(instance.token_strategy);
    if constexpr (std::is_same_v<T, sdk::DeliveryChannel>)
      object = std::move(instance.delivery_channel);
    if constexpr (std::is_same_v<T, sdk::UserStore>) object = std::move(instance.user_store);
    if (!object) throw std::runtime_error(std::string(descriptor_->name) + ": made another kind");
    auto library = library_;
    return std::shared_ptr<T>(object.release(), [library](T* p) { delete p; });
  }

 private:
  LoadedPlugin(std::shared_ptr<boost::dll::shared_library> library,
               const sdk::PluginDescriptor* descriptor)
      : library_(std::move(library)), descriptor_(descriptor) {}

  std::shared_ptr<boost::dll::shared_library> library_;
  const sdk::PluginDescriptor* descriptor_;
};

}  // namespace linkgate::testkit
