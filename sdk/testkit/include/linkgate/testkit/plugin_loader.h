#pragma once
/// @file
/// LoadedPlugin: loads a built plugin library the way the server does (Boost.DLL, the
/// `linkgate_plugin` alias, the ABI and build-signature checks) and creates its object from a
/// config block written as strings, checked by the server's own checker of plugin blocks.
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

#include "linkgate/config/plugin_block.h"
#include "linkgate/sdk/plugin.h"

namespace linkgate::testkit {

/// Config values as the test writes them: `"10s"`, `"587"`, `"true"`, lists as `"a,b,c"`, maps
/// as `"k1=v1,k2=v2"`.
using ConfigValues = std::map<std::string, std::string>;

namespace detail {

/// @p values as a block the server would have read, checked by the server's own checker
/// (linkgate/config/plugin_block.h). Throws std::invalid_argument listing every problem.
inline plugin_block::TypedBlock checked_block(const sdk::PluginDescriptor& d,
                                              const ConfigValues& values) {
  std::vector<plugin_block::Problem> problems;
  auto block = plugin_block::check_text(std::string("test.") + d.name + ".config", d.name,
                                        {d.config_keys, d.config_key_count}, values, problems);
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p.path + ": " + p.message;
    throw std::invalid_argument(text);
  }
  return block;
}

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
    const plugin_block::TypedBlock view = detail::checked_block(*descriptor_, values);
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
