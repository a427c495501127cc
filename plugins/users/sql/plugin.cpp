#include "sql_user_store.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;

constexpr ConfigKey kConfigKeys[] = {
    {"connector", ConfigType::string, "sqlite", false, "Database kind: sqlite | postgresql."},
    {"database", ConfigType::string, "data/users.db", false,
     "SQLite: the database file. PostgreSQL: postgresql://user:pass@host:port/db or \"host=... "
     "dbname=...\"."},
    {"pool_size", ConfigType::integer, "8", false, "Most connections held open at once."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  using linkgate::sdk::ErrorCode;
  using linkgate::sdk::fail;
  const auto& c = context.config;
  linkgate::plugins::sql::SqlSettings s;
  s.connector = c.get_string("connector").value();
  if (s.connector != "sqlite" && s.connector != "postgresql") {
    return fail(ErrorCode::invalid, c.path() + ".connector: expected sqlite or postgresql, got \"" +
                                        s.connector + "\"");
  }
  s.database = c.get_string("database").value();
  if (s.connector == "sqlite") s.database = c.resolve_path(s.database);
  s.pool_size = static_cast<int>(c.get_int("pool_size").value());
  if (s.pool_size < 1 || s.pool_size > 256)
    return fail(ErrorCode::invalid, c.path() + ".pool_size: must be 1 to 256");
  return linkgate::sdk::make_instance(
      std::make_unique<linkgate::plugins::sql::SqlUserStore>(s, context.host));
}

}  // namespace

LINKGATE_PLUGIN(user_store, "sql", "1.0.0",
                "Users in SQLite or PostgreSQL through Poco Data; sign-up supported", kConfigKeys,
                create)
