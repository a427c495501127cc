#pragma once
// ExpiringKeys in the core's own database (security.store: memory): the JWT replay cache and the
// session revocation list survive a restart, and instances sharing a PostgreSQL database share
// them, without Redis.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "linkgate/sdk/host_services.h"
#include "sql/database.h"

namespace linkgate::host {

class SqlExpiringKeys final : public sdk::ExpiringKeys {
 public:
  /// Creates the table if missing. Throws std::runtime_error when the database is unusable.
  SqlExpiringKeys(std::shared_ptr<sql::Database> db, const sdk::Clock& clock);
  /// One upsert that only replaces an expired row: atomic across every connection. Inside a
  /// sql::WriteUnit open on this thread for this database, the upsert runs when the unit
  /// commits and this returns true at once: should the key be there by then (inserted before,
  /// or by another caller meanwhile), the unit fails (sql::Conflict) and nothing of it is kept.
  sdk::Result<bool> insert_if_absent(std::string_view key,
                                     std::int64_t expires_at) noexcept override;
  sdk::Result<bool> contains(std::string_view key) noexcept override;

 private:
  /// Inserts @p name, or replaces it if expired; with @p sweep, also deletes expired keys.
  /// Whether it inserted (or replaced).
  bool upsert(Poco::Data::Session& s, const std::string& name, std::int64_t expires_at,
              std::int64_t now_s, bool sweep) const;

  std::shared_ptr<sql::Database> db_;
  const sdk::Clock& clock_;
  std::atomic<unsigned> inserts_since_sweep_{0};
};

}  // namespace linkgate::host
