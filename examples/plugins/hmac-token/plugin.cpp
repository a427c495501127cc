// The linkgate token plugin "hmac": declared keys and factory.
#include "hmac_token.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;

constexpr ConfigKey kConfigKeys[] = {
    {"key_file", ConfigType::string, "data/keys/hmac-token.key", false,
     "The HMAC key (32 random bytes), made with mode 0600 when missing. Share it between "
     "instances."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  const std::string file = context.config.resolve_path(*context.config.get_string("key_file"));
  return linkgate::sdk::make_instance(std::make_unique<hmac_token::HmacTokenStrategy>(
      hmac_token::load_or_make_key(file, context.host.random()), context.host));
}

}  // namespace

LINKGATE_PLUGIN(token_strategy, "hmac", "0.1.0",
                "Stateless HMAC-SHA-256 link tokens, single use through the replay cache",
                kConfigKeys, create)
