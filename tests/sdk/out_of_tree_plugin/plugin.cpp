#include "linkgate/sdk/sdk.h"

namespace example {
std::unique_ptr<linkgate::sdk::DeliveryChannel> make_stdout_channel(std::string prefix);
}

namespace {
constexpr linkgate::sdk::ConfigKey kKeys[] = {
    {"prefix", linkgate::sdk::ConfigType::string, "message for", false,
     "Printed before the address."},
};
linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(const linkgate::sdk::PluginContext& c) {
  return linkgate::sdk::make_instance(
      example::make_stdout_channel(c.config.get_string("prefix").value_or("")));
}
}  // namespace

LINKGATE_PLUGIN(delivery_channel, "stdout", "0.1.0",
                "Prints the recipient (an out-of-tree example)", kKeys, create)
