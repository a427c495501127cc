#pragma once
// Users in a SQL database through Poco Data: SQLite embedded (PostgreSQL shares the schema).

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "linkgate/sdk/sdk.h"
#include "sql/database.h"

namespace linkgate::plugins::sql {

/// What the store runs with; the values and their defaults come from the key table in
/// sql_config.cpp.
struct SqlSettings {
  std::string connector;  // sqlite | postgresql
  std::string database;   // SQLite: a file path; PostgreSQL: a URL or "host=... dbname=..."
  int pool_size = 0;
};

class SqlUserStore final : public sdk::UserStore {
 public:
  /// Opens the database and creates the schema if missing. Throws std::runtime_error with a
  /// clear message when the database cannot be opened.
  SqlUserStore(SqlSettings settings, sdk::HostServices& host);

  sdk::Result<sdk::User> find(const sdk::Identifier& identifier) override;
  sdk::Result<sdk::User> get(std::string_view id) override;
  sdk::Result<sdk::User> create(const sdk::Identifier& identifier) override;
  sdk::Result<void> ready() override;
  sdk::Result<sdk::UserPage> list(std::string_view after, std::size_t limit) override;
  sdk::Result<void> set_disabled(std::string_view id, bool disabled) override;
  /// Deletes the row and empties SQLite's write-ahead log, so the address leaves every file.
  sdk::Result<void> remove(std::string_view id) override;

  /// Every statement the store runs, as its database would get it, by name — for checking that
  /// each one's plan uses an index. Thread-safe.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> statements() const;
  /// The database the store is on (for tests).
  [[nodiscard]] linkgate::sql::Database& database() const { return *db_; }

 private:
  sdk::Result<sdk::User> select_one(const std::string& column, const std::string& value);
  /// Runs @p statement (an UPDATE or DELETE by id, with @p value bound first when given);
  /// not_found when no row changed.
  sdk::Result<void> change_one(const char* statement, std::string_view id,
                               std::optional<int> value);
  static std::string list_statement(std::size_t limit);

  SqlSettings settings_;
  sdk::HostServices& host_;
  std::shared_ptr<linkgate::sql::Database> db_;
};

}  // namespace linkgate::plugins::sql
