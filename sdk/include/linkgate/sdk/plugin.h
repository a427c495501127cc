#pragma once
/// @file
/// The plugin descriptor and LINKGATE_PLUGIN, the one macro a plugin uses to export itself.
///
/// A plugin library exports exactly one symbol, `linkgate_plugin` (through BOOST_DLL_ALIAS), a
/// function returning a pointer to a static PluginDescriptor. The host reads `abi_version`
/// first and touches nothing else of a descriptor whose ABI differs; then `build_signature`,
/// and calls nothing in a plugin built with another compiler, standard library or C++ standard.

#include <exception>
#include <memory>
#include <span>
#include <string>

#include <boost/dll/alias.hpp>

#include "linkgate/sdk/config_view.h"
#include "linkgate/sdk/delivery_channel.h"
#include "linkgate/sdk/host_services.h"
#include "linkgate/sdk/result.h"
#include "linkgate/sdk/token_strategy.h"
#include "linkgate/sdk/user_store.h"
#include "linkgate/sdk/version.h"

namespace linkgate::sdk {

/// The three kinds of plugin. Values are part of the ABI: append only.
enum class PluginKind { token_strategy = 0, delivery_channel = 1, user_store = 2 };

/// The word used for @p kind in the config file and in `linkgate plugins`.
constexpr const char* to_string(PluginKind kind) noexcept {
  switch (kind) {
    case PluginKind::token_strategy:
      return "token";
    case PluginKind::delivery_channel:
      return "delivery";
    case PluginKind::user_store:
      return "users";
  }
  return "unknown";
}

/// What a factory receives. Both references are valid only during the factory call, except
/// `host`, which stays valid for as long as any object the factory made lives.
struct PluginContext {
  const ConfigView& config;  ///< The plugin's validated `config:` block.
  HostServices& host;        ///< Log, clock, random, metrics, shared keys, HTTP client.
};

/// What a factory hands back: exactly the member that matches the descriptor's kind is set.
/// The host owns the object from then on and destroys it before unloading the library.
struct PluginInstance {
  std::unique_ptr<TokenStrategy> token_strategy;
  std::unique_ptr<DeliveryChannel> delivery_channel;
  std::unique_ptr<UserStore> user_store;
};

/// Wraps a token strategy for return from a factory.
inline PluginInstance make_instance(std::unique_ptr<TokenStrategy> p) {
  PluginInstance i;
  i.token_strategy = std::move(p);
  return i;
}
/// Wraps a delivery channel for return from a factory.
inline PluginInstance make_instance(std::unique_ptr<DeliveryChannel> p) {
  PluginInstance i;
  i.delivery_channel = std::move(p);
  return i;
}
/// Wraps a user store for return from a factory.
inline PluginInstance make_instance(std::unique_ptr<UserStore> p) {
  PluginInstance i;
  i.user_store = std::move(p);
  return i;
}

/// Creates the plugin's object. Called once per configured use of the plugin (and again on a
/// configuration reload). Returns ErrorCode::invalid with a message for a config the plugin
/// cannot work with (the host prefixes the YAML path). Must not throw; LINKGATE_PLUGIN wraps
/// the author's factory so that it cannot.
using CreateFunction = Result<PluginInstance> (*)(const PluginContext& context) noexcept;

/// Static description of a plugin. Lives in the plugin library's static storage.
/// Layout rule: `abi_version` and `sdk_version` stay the first two members in every ABI (and
/// `build_signature` the third from ABI 2 on).
struct PluginDescriptor {
  std::uint32_t abi_version;    ///< kAbiVersion the plugin was built with.
  const char* sdk_version;      ///< kSdkVersion the plugin was built with.
  const char* build_signature;  ///< kBuildSignature of the plugin's build.
  PluginKind kind;
  const char* name;              ///< What the config's `plugin:` names, e.g. "smtp".
  const char* version;           ///< The plugin's own version.
  const char* summary;           ///< One line for `linkgate plugins`.
  const ConfigKey* config_keys;  ///< The declared keys of its `config:` block.
  std::size_t config_key_count;
  CreateFunction create;
};

namespace detail {
/// Calls the author's factory, turning any exception into an Error so none crosses the boundary.
template <class Factory>
Result<PluginInstance> guarded_create(Factory factory, const PluginContext& context) noexcept {
  try {
    return factory(context);
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, std::string("factory threw: ") + e.what());
  } catch (...) {
    return fail(ErrorCode::internal, "factory threw a non-standard exception");
  }
}
}  // namespace detail

}  // namespace linkgate::sdk

/// Exports a plugin. Use once per plugin library, at namespace scope:
/// @code
///   constexpr linkgate::sdk::ConfigKey kConfigKeys[] = {
///       {"url", linkgate::sdk::ConfigType::string, nullptr, true, "Where each message goes."}};
///   linkgate::sdk::Result<linkgate::sdk::PluginInstance> create_webhook_channel(
///       const linkgate::sdk::PluginContext& context);
///   LINKGATE_PLUGIN(delivery_channel, "webhook", "1.0.0", "Posts each message to a URL",
///                   kConfigKeys, create_webhook_channel)
/// @endcode
/// KIND is a PluginKind enumerator name; KEYS is anything convertible to
/// std::span<const ConfigKey> (a static array, or `{}` for none); FACTORY is a function
/// `Result<PluginInstance>(const PluginContext&)`, which may throw (the export contains it).
#define LINKGATE_PLUGIN(KIND, NAME, VERSION, SUMMARY, KEYS, FACTORY)                             \
  namespace linkgate_plugin_export {                                                             \
  static ::linkgate::sdk::Result<::linkgate::sdk::PluginInstance> linkgate_guarded_factory(      \
      const ::linkgate::sdk::PluginContext& context) noexcept {                                  \
    return ::linkgate::sdk::detail::guarded_create(FACTORY, context);                            \
  }                                                                                              \
  const ::linkgate::sdk::PluginDescriptor* describe() noexcept {                                 \
    static const std::span<const ::linkgate::sdk::ConfigKey> keys = KEYS;                        \
    static const ::linkgate::sdk::PluginDescriptor descriptor{::linkgate::sdk::kAbiVersion,      \
                                                              ::linkgate::sdk::kSdkVersion,      \
                                                              ::linkgate::sdk::kBuildSignature,  \
                                                              ::linkgate::sdk::PluginKind::KIND, \
                                                              NAME,                              \
                                                              VERSION,                           \
                                                              SUMMARY,                           \
                                                              keys.data(),                       \
                                                              keys.size(),                       \
                                                              &linkgate_guarded_factory};        \
    return &descriptor;                                                                          \
  }                                                                                              \
  }                                                                                              \
  BOOST_DLL_ALIAS(linkgate_plugin_export::describe, linkgate_plugin)
