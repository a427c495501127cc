#include "host/sql_expiring_keys.h"

#include <Poco/Data/Statement.h>

#include "sql/store_result.h"
#include "sql/write_unit.h"

namespace linkgate::host {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;
using Poco::Data::Keywords::useRef;

namespace {
constexpr const char* kUpsert =
    "INSERT INTO lg_expiring_keys (name, expires_at) VALUES (?, ?)"
    " ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at"
    " WHERE lg_expiring_keys.expires_at <= ?";
constexpr const char* kSweep = "DELETE FROM lg_expiring_keys WHERE expires_at <= ?";
constexpr const char* kContains =
    "SELECT COUNT(*) FROM lg_expiring_keys WHERE name = ? AND expires_at > ?";
}  // namespace

SqlExpiringKeys::SqlExpiringKeys(std::shared_ptr<sql::Database> db, const sdk::Clock& clock)
    : db_(std::move(db)), clock_(clock) {
  try {
    auto lease = db_->session();
    *lease << "CREATE TABLE IF NOT EXISTS lg_expiring_keys ("
              " name TEXT PRIMARY KEY,"
              " expires_at BIGINT NOT NULL)",
        now;
    *lease << "CREATE INDEX IF NOT EXISTS lg_expiring_keys_expiry ON lg_expiring_keys (expires_at)",
        now;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("expiring keys: " + e.displayText());
  }
}

bool SqlExpiringKeys::upsert(Poco::Data::Session& s, const std::string& name,
                             std::int64_t expires_at, std::int64_t now_s, bool sweep) const {
  if (auto* cached = sql::GroupCommit::statements_for(s)) {
    auto upsert = cached->use(kUpsert);
    upsert.bind(name).bind(expires_at).bind(now_s).run();
    const bool inserted = upsert.changes() == 1;
    if (sweep) cached->use(kSweep).bind(now_s).run();
    return inserted;
  }
  Poco::Data::Statement upsert(s);
  upsert << db_->sql(kUpsert), useRef(name), use(expires_at), useRef(now_s);
  const bool inserted = upsert.execute() == 1;
  if (sweep) s << db_->sql(kSweep), useRef(now_s), now;
  return inserted;
}

sdk::Result<bool> SqlExpiringKeys::insert_if_absent(std::string_view key,
                                                    std::int64_t expires_at) noexcept {
  const bool sweep = ++inserts_since_sweep_ % 1024 == 0;
  if (auto* unit = sql::WriteUnit::open_for(*db_)) {
    // Committed with the rest of the unit, and checked then: a key already there — inserted
    // before, or by another caller meanwhile — fails the insert and so the whole unit. No
    // look-up now: it would only say sooner what the commit says anyway.
    return sql::attempt("expiring keys", [&] {
      unit->add([this, name = std::string(key), expires_at, now_s = clock_.now_seconds(),
                 sweep](Poco::Data::Session& s) {
        if (!upsert(s, name, expires_at, now_s, sweep)) {
          throw sql::Conflict("expiring keys: the key is there already");
        }
      });
      return true;
    });
  }
  return sql::attempt("expiring keys", [&] {
    const std::string name(key);
    const std::int64_t now_s = clock_.now_seconds();
    bool inserted = false;
    db_->write(
        [&](Poco::Data::Session& s) { inserted = upsert(s, name, expires_at, now_s, sweep); });
    return inserted;
  });
}

sdk::Result<bool> SqlExpiringKeys::contains(std::string_view key) noexcept {
  return sql::attempt("expiring keys", [&] {
    const std::string name(key);
    const std::int64_t now_s = clock_.now_seconds();
    int found = 0;
    auto lease = db_->session();
    if (auto* cached = lease.statements()) {
      auto select = cached->use(kContains);
      select.bind(name).bind(now_s);
      return select.next_row() && select.int64(0) > 0;
    }
    *lease << db_->sql(kContains), useRef(name), useRef(now_s), into(found), now;
    return found > 0;
  });
}

}  // namespace linkgate::host
