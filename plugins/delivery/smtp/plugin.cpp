#include "smtp_config.h"

namespace {

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  auto settings = linkgate::plugins::smtp::read_settings(context.config);
  if (!settings.ok()) return settings.error();
  return linkgate::sdk::make_instance(
      std::make_unique<linkgate::plugins::smtp::SmtpChannel>(settings.value(), context.host));
}

}  // namespace

LINKGATE_PLUGIN(delivery_channel, "smtp", "1.0.0",
                "E-mail over SMTP: STARTTLS or implicit TLS, AUTH LOGIN/PLAIN, text + HTML",
                linkgate::plugins::smtp::kConfigKeys, create)
