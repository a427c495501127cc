#include "sql_config.h"

#include "linkgate/config/plugin_block.h"

namespace linkgate::plugins::sql {

using sdk::ConfigType;

const std::array<sdk::ConfigKey, 3> kConfigKeys{{
    {"connector", ConfigType::string, "sqlite", false, "Database kind: sqlite | postgresql."},
    {"database", ConfigType::string, "data/users.db", false,
     "SQLite: the database file. PostgreSQL: postgresql://user:pass@host:port/db or \"host=... "
     "dbname=...\"."},
    {"pool_size", ConfigType::integer, "8", false, "Most connections held open at once."},
}};

sdk::Result<SqlSettings> read_settings(const sdk::ConfigView& c) {
  SqlSettings s;
  s.connector = c.get_string("connector").value();
  if (s.connector != "sqlite" && s.connector != "postgresql") {
    return sdk::fail(
        sdk::ErrorCode::invalid,
        c.path() + ".connector: expected sqlite or postgresql, got \"" + s.connector + "\"");
  }
  s.database = c.get_string("database").value();
  if (s.connector == "sqlite") s.database = c.resolve_path(s.database);
  s.pool_size = static_cast<int>(c.get_int("pool_size").value());
  if (s.pool_size < 1 || s.pool_size > 256) {
    return sdk::fail(sdk::ErrorCode::invalid, c.path() + ".pool_size: must be 1 to 256");
  }
  return s;
}

SqlSettings settings_with(const std::map<std::string, std::string>& written) {
  return plugin_block::settings_from("sql", kConfigKeys, written, read_settings);
}

}  // namespace linkgate::plugins::sql
