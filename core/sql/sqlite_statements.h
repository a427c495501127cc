#pragma once
// Prepared statements of one SQLite connection, kept for reuse. Poco Data prepares a statement
// anew on every execution; on the redeem path that parsing and planning was a tenth of the
// server's CPU (docs/performance.md). The hot statements go through this instead, on SQLite only.

#include <Poco/Data/Session.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace linkgate::sql {

class SqliteStatements {
 public:
  /// One execution of a cached statement: bind the parameters in order, step, read columns.
  /// Reset (bindings cleared) when it goes, so the statement is ready for the next use. Errors
  /// throw Poco::Data::DataException with SQLite's message.
  class Use {
   public:
    Use(Use&& other) noexcept
        : db_(other.db_), statement_(other.statement_), next_parameter_(other.next_parameter_) {
      other.statement_ = nullptr;
    }
    Use& operator=(Use&&) = delete;
    ~Use();

    Use& bind(std::string_view text);
    Use& bind(std::int64_t number);
    Use& bind_null();
    /// Steps once: true with a row to read, false when the statement is done.
    bool next_row();
    /// Steps to the end (a statement that returns no rows).
    void run();
    [[nodiscard]] std::int64_t int64(int column) const;
    [[nodiscard]] std::string text(int column) const;
    [[nodiscard]] bool is_null(int column) const;
    /// Rows the last INSERT, UPDATE or DELETE on the connection changed.
    [[nodiscard]] int changes() const;
    /// The row id of the last row an INSERT on the connection added.
    [[nodiscard]] std::int64_t last_insert_rowid() const;

   private:
    friend class SqliteStatements;
    Use(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
    void check(int rc) const;
    sqlite3* db_;
    sqlite3_stmt* statement_;
    int next_parameter_ = 1;
  };

  /// The statements of @p session's connection (a Poco SQLite session), which must outlive this
  /// object. Used by one thread at a time, like the connection.
  explicit SqliteStatements(Poco::Data::Session& session);
  /// Finalizes every statement (before the connection closes).
  ~SqliteStatements();
  SqliteStatements(const SqliteStatements&) = delete;
  SqliteStatements& operator=(const SqliteStatements&) = delete;

  /// @p sql prepared once per connection and reused. Throws Poco::Data::DataException when it
  /// does not compile. Only one Use of a statement at a time.
  Use use(const std::string& sql);

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> prepared_;
};

}  // namespace linkgate::sql
