#include "sms_config.h"

namespace {

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  auto settings = linkgate::plugins::sms::read_settings(context.config);
  if (!settings.ok()) return settings.error();
  return linkgate::sdk::make_instance(
      std::make_unique<linkgate::plugins::sms::SmsGatewayChannel>(settings.value(), context.host));
}

}  // namespace

LINKGATE_PLUGIN(delivery_channel, "sms-http", "1.0.0",
                "SMS through any HTTP gateway, with a Twilio preset",
                linkgate::plugins::sms::kConfigKeys, create)
