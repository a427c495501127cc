#pragma once
// ExpiringKeys in the core's own database (security.store: memory): the JWT replay cache and the
// session revocation list survive a restart, and instances sharing a PostgreSQL database share
// them, without Redis.

#include <atomic>
#include <memory>

#include "linkgate/sdk/host_services.h"
#include "sql/database.h"

namespace linkgate::host {

class SqlExpiringKeys final : public sdk::ExpiringKeys {
 public:
  /// Creates the table if missing. Throws std::runtime_error when the database is unusable.
  SqlExpiringKeys(std::shared_ptr<sql::Database> db, const sdk::Clock& clock);
  /// One upsert that only replaces an expired row: atomic across every connection.
  sdk::Result<bool> insert_if_absent(std::string_view key,
                                     std::int64_t expires_at) noexcept override;
  sdk::Result<bool> contains(std::string_view key) noexcept override;

 private:
  std::shared_ptr<sql::Database> db_;
  const sdk::Clock& clock_;
  std::atomic<unsigned> inserts_since_sweep_{0};
};

}  // namespace linkgate::host
