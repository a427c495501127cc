#include "jwt_config.h"

namespace {

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  auto settings = linkgate::plugins::jwt::read_settings(context.config);
  if (!settings.ok()) return settings.error();
  return linkgate::sdk::make_instance(
      std::make_unique<linkgate::plugins::jwt::JwtTokenStrategy>(settings.value(), context.host));
}

}  // namespace

LINKGATE_PLUGIN(token_strategy, "jwt", "1.0.0",
                "Stateless ECDSA-signed link tokens (ES256), single use through a replay cache",
                linkgate::plugins::jwt::kConfigKeys, create)
