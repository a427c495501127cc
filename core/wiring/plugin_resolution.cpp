#include "wiring/plugin_resolution.h"

namespace linkgate::wiring {
namespace {

std::optional<ResolvedPlugin> resolve(const config::PluginUse& use, plugin_host::PluginHost& host,
                                      config::Diagnostics& diagnostics,
                                      const config::EnvLookup& env) {
  if (use.name.empty()) return std::nullopt;  // already reported by the settings loader
  auto found = host.find(use.kind, use.name);
  if (auto* error = std::get_if<std::string>(&found)) {
    std::string at = use.path.substr(0, use.path.rfind('.')) + ".plugin";
    diagnostics.add(at, *error, use.line);
    return std::nullopt;
  }
  auto& library = std::get<plugin_host::PluginLibrary>(found);
  std::span<const sdk::ConfigKey> keys(library.descriptor->config_keys,
                                       library.descriptor->config_key_count);
  auto config = config::PluginConfig::validate(use, keys, diagnostics, env);
  return ResolvedPlugin{use, library, std::move(config)};
}

}  // namespace

std::optional<ResolvedPlugins> resolve_plugins(const config::Settings& settings,
                                               plugin_host::PluginHost& host,
                                               config::Diagnostics& diagnostics,
                                               const config::EnvLookup& env) {
  const std::size_t before = diagnostics.errors().size();
  auto token = resolve(settings.token, host, diagnostics, env);
  auto users = resolve(settings.users, host, diagnostics, env);
  std::vector<ResolvedPlugin> delivery;
  std::vector<sdk::AddressKind> kinds;
  for (const auto& use : settings.delivery) {
    if (auto r = resolve(use, host, diagnostics, env)) {
      delivery.push_back(std::move(*r));
      kinds.push_back(use.address_kind);
    }
  }
  if (diagnostics.errors().size() != before || !token || !users) return std::nullopt;
  return ResolvedPlugins{std::move(*token), std::move(delivery), std::move(kinds),
                         std::move(*users)};
}

}  // namespace linkgate::wiring
