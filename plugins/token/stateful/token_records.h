#pragma once
// Where a stateful token's hash and grant live. Implementations: SQL (SQLite, PostgreSQL) and
// Redis. Methods throw std::runtime_error when the store is unreachable.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "linkgate/sdk/types.h"

namespace linkgate::plugins::stateful {

struct TokenRow {
  sdk::LinkGrant grant;
  enum class State { unused, used, revoked } state = State::unused;
};

class TokenRecords {
 public:
  virtual ~TokenRecords() = default;
  virtual void insert(const std::string& hash, const sdk::LinkGrant& grant) = 0;
  virtual std::optional<TokenRow> find(const std::string& hash) = 0;
  /// Marks an unused, unexpired token used, and returns its grant to exactly one caller across
  /// instances; nothing to the others (find() then says why).
  virtual std::optional<sdk::LinkGrant> consume(const std::string& hash, std::int64_t now) = 0;
  virtual void revoke_subject(const std::string& subject) = 0;
  /// Deletes tokens that expired before @p before; returns how many (0 where the store expires
  /// them by itself).
  virtual std::size_t sweep(std::int64_t before) = 0;
  virtual void ping() = 0;
};

/// `sqlite:PATH` or `postgresql://...`.
std::unique_ptr<TokenRecords> make_sql_records(const std::string& url);
/// Every statement the SQL records run, by name, with `?` placeholders (sql::Database::sql()
/// turns them into a dialect's) — for checking that each one's plan uses an index.
std::vector<std::pair<std::string, std::string>> sql_record_statements();
/// `redis://host:port` (optionally `/db`).
std::unique_ptr<TokenRecords> make_redis_records(const std::string& url);

}  // namespace linkgate::plugins::stateful
