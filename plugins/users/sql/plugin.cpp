#include "sql_config.h"

namespace {

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  auto settings = linkgate::plugins::sql::read_settings(context.config);
  if (!settings.ok()) return settings.error();
  return linkgate::sdk::make_instance(
      std::make_unique<linkgate::plugins::sql::SqlUserStore>(settings.value(), context.host));
}

}  // namespace

LINKGATE_PLUGIN(user_store, "sql", "1.0.0",
                "Users in SQLite or PostgreSQL through Poco Data; sign-up supported",
                linkgate::plugins::sql::kConfigKeys, create)
