#include "sql/sqlite_statements.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

namespace linkgate::sql {

SqliteStatements::SqliteStatements(Poco::Data::Session& session)
    : db_(Poco::Data::SQLite::Utility::dbHandle(session)) {}

SqliteStatements::~SqliteStatements() {
  for (auto& [sql, statement] : prepared_) sqlite3_finalize(statement);
}

SqliteStatements::Use SqliteStatements::use(const std::string& sql) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(statement);
      throw Poco::Data::DataException(std::string("SQLite: ") + sqlite3_errmsg(db_));
    }
    found = prepared_.emplace(sql, statement).first;
  }
  return Use(db_, found->second);
}

SqliteStatements::Use::~Use() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

void SqliteStatements::Use::check(int rc) const {
  if (rc != SQLITE_OK)
    throw Poco::Data::DataException(std::string("SQLite: ") + sqlite3_errmsg(db_));
}

SqliteStatements::Use& SqliteStatements::Use::bind(std::string_view text) {
  check(sqlite3_bind_text(statement_, next_parameter_++, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT));
  return *this;
}

SqliteStatements::Use& SqliteStatements::Use::bind(std::int64_t number) {
  check(sqlite3_bind_int64(statement_, next_parameter_++, number));
  return *this;
}

SqliteStatements::Use& SqliteStatements::Use::bind_null() {
  check(sqlite3_bind_null(statement_, next_parameter_++));
  return *this;
}

bool SqliteStatements::Use::next_row() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Poco::Data::DataException(std::string("SQLite: ") + sqlite3_errmsg(db_));
}

void SqliteStatements::Use::run() {
  while (next_row()) {
  }
}

std::int64_t SqliteStatements::Use::int64(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string SqliteStatements::Use::text(int column) const {
  const auto* bytes = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  return bytes == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(bytes), size);
}

bool SqliteStatements::Use::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int SqliteStatements::Use::changes() const {
  return sqlite3_changes(db_);
}

std::int64_t SqliteStatements::Use::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

}  // namespace linkgate::sql
