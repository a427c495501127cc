#include "outbox_channel.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;

constexpr ConfigKey kConfigKeys[] = {
    {"dir", ConfigType::string, "data/outbox", false,
     "Folder each message is written to as <id>.json."},
    {"log_link", ConfigType::boolean, "true", false,
     "Also write each sign-in link to the log (development only: links are secrets)."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  const auto& c = context.config;
  return linkgate::sdk::make_instance(std::make_unique<linkgate::plugins::outbox::OutboxChannel>(
      c.resolve_path(c.get_string("dir").value()), c.get_bool("log_link").value(), context.host));
}

}  // namespace

LINKGATE_PLUGIN(delivery_channel, "outbox", "1.0.0",
                "Development channel: writes each message to a file and logs its link", kConfigKeys,
                create)
