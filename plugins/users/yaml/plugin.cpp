#include "yaml_user_store.h"

namespace {

constexpr linkgate::sdk::ConfigKey kConfigKeys[] = {
    {"file", linkgate::sdk::ConfigType::string, nullptr, true,
     "A YAML list of { id, email, phone, locale, disabled }; re-read on reload."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  const auto& c = context.config;
  auto store = std::make_unique<linkgate::plugins::yaml::YamlUserStore>(
      c.resolve_path(c.get_string("file").value_or("")));
  context.host.logger().info("read " + std::to_string(store->size()) + " users");
  return linkgate::sdk::make_instance(std::move(store));
}

}  // namespace

LINKGATE_PLUGIN(user_store, "yaml", "1.0.0", "A fixed list of users from a YAML file (no sign-up)",
                kConfigKeys, create)
