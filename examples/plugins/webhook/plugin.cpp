// The linkgate delivery plugin "webhook": its declared configuration keys and its factory.
// The channel itself is in webhook_channel.cpp.

#include "webhook_channel.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;

// Every key the plugin's `config:` block may hold. The server refuses any other key, checks
// each value's type, applies the defaults, and `linkgate plugins` prints this table.
constexpr ConfigKey kConfigKeys[] = {
    {"url", ConfigType::string, nullptr, true,
     "Where each message is POSTed as JSON (http:// or https://)."},
    {"headers", ConfigType::string_map, nullptr, false,
     "Extra request headers, e.g. Authorization."},
    {"timeout", ConfigType::duration, "10s", false, "Connect, send and receive timeout, each."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  webhook::Settings settings;
  settings.url = context.config.get_string("url").value_or("");
  if (settings.url.rfind("http://", 0) != 0 && settings.url.rfind("https://", 0) != 0) {
    return linkgate::sdk::fail(linkgate::sdk::ErrorCode::invalid,
                               "url: expected an http:// or https:// URL");
  }
  settings.headers = context.config.get_map("headers");
  settings.timeout = context.config.get_duration("timeout").value();
  return linkgate::sdk::make_instance(
      std::make_unique<webhook::Channel>(std::move(settings), context.host));
}

}  // namespace

LINKGATE_PLUGIN(delivery_channel, "webhook", "0.1.0", "Posts each sign-in message as JSON to a URL",
                kConfigKeys, create)
