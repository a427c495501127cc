#include "outbox/outbox_store.h"

#include <stdexcept>

#include "sql/store_result.h"
#include "util/base64url.h"
#include "util/crypto.h"

using namespace Poco::Data::Keywords;

namespace linkgate::outbox {

OutboxStore::OutboxStore(std::shared_ptr<sql::Database> db) : db_(std::move(db)) {
  try {
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(
        "CREATE TABLE IF NOT EXISTS lg_outbox ("
        " id TEXT PRIMARY KEY,"
        " flow_id TEXT NOT NULL,"
        " kind INTEGER NOT NULL,"
        " recipient TEXT NOT NULL,"
        " locale TEXT NOT NULL,"
        " subject TEXT NOT NULL, text TEXT NOT NULL, html TEXT NOT NULL,"
        " link TEXT NOT NULL, code TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " channel_index INTEGER NOT NULL DEFAULT 0,"
        " next_attempt_at BIGINT NOT NULL,"
        " lease_until BIGINT NOT NULL DEFAULT 0,"
        " claim TEXT NOT NULL DEFAULT '',"
        " last_error TEXT NOT NULL DEFAULT '',"
        " expires_at BIGINT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " updated_at BIGINT NOT NULL)"),
        now;
    s << db_->sql("CREATE INDEX IF NOT EXISTS lg_outbox_due ON lg_outbox (state, next_attempt_at)"),
        now;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("outbox store: " + e.displayText());
  }
}

sdk::Result<void> OutboxStore::enqueue(const OutboxMessage& m, std::int64_t now_seconds) {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    int kind = static_cast<int>(m.kind);
    s << db_->sql(
        "INSERT INTO lg_outbox (id, flow_id, kind, recipient, locale, subject, text, html, link, "
        "code,"
        " state, attempts, channel_index, next_attempt_at, expires_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)"),
        useRef(m.id), useRef(m.flow_id), use(kind), useRef(m.recipient), useRef(m.locale),
        useRef(m.subject), useRef(m.text), useRef(m.html), useRef(m.link), useRef(m.code),
        useRef(m.channel_index), use(now_seconds), useRef(m.expires_at), use(now_seconds),
        use(now_seconds), now;
  });
}

sdk::Result<void> OutboxStore::record_suppressed(const std::string& id, const std::string& flow_id,
                                                 std::int64_t now_seconds) {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(
        "INSERT INTO lg_outbox (id, flow_id, kind, recipient, locale, subject, text, html, link, "
        "code,"
        " state, attempts, channel_index, next_attempt_at, expires_at, created_at, updated_at)"
        " VALUES (?, ?, 0, '', '', '', '', '', '', '', 'suppressed', 0, 0, ?, ?, ?, ?)"),
        useRef(id), useRef(flow_id), use(now_seconds), use(now_seconds), use(now_seconds),
        use(now_seconds), now;
  });
}

sdk::Result<OutboxMessage> OutboxStore::claim(std::int64_t now_seconds,
                                              std::int64_t lease_seconds) {
  return sql::attempt("outbox", [&]() -> sdk::Result<OutboxMessage> {
    auto lease = db_->session();
    auto& s = *lease;
    std::string claim = util::base64url_encode(util::random_bytes(12));
    std::int64_t lease_until = now_seconds + lease_seconds;
    Poco::Data::Statement update(s);
    // The outer state test is re-checked by the database after it locks the row, so two workers
    // (or two servers) can never claim the same message at once. `id = (...)`, not `id IN (...)`:
    // PostgreSQL may run an IN-subquery once per row, and with SKIP LOCKED each run picks another
    // message, so one claim would take them all.
    update << db_->sql(
        "UPDATE lg_outbox SET state = 'sending', claim = ?, lease_until = ?, attempts = "
        "attempts + 1,"
        " updated_at = ?"
        " WHERE id = (SELECT id FROM lg_outbox"
        "   WHERE (state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND "
        "lease_until <= ?)"
        "   ORDER BY next_attempt_at LIMIT 1" +
        std::string(db_->dialect() == sql::Dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : "") +
        ")"
        " AND ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND "
        "lease_until <= ?))"),
        useRef(claim), use(lease_until), use(now_seconds), use(now_seconds), use(now_seconds),
        use(now_seconds), use(now_seconds);
    if (update.execute() != 1) return sdk::fail(sdk::ErrorCode::not_found, "nothing due");
    OutboxMessage m;
    int kind = 0;
    Poco::Data::Statement select(s);
    select << db_->sql(
        "SELECT id, flow_id, kind, recipient, locale, subject, text, html, link, code, attempts,"
        " channel_index, expires_at FROM lg_outbox WHERE claim = ?"),
        useRef(claim), into(m.id), into(m.flow_id), into(kind), into(m.recipient), into(m.locale),
        into(m.subject), into(m.text), into(m.html), into(m.link), into(m.code), into(m.attempts),
        into(m.channel_index), into(m.expires_at), limit(1);
    if (select.execute() == 0) return sdk::fail(sdk::ErrorCode::not_found, "nothing due");
    m.kind = kind == 1 ? sdk::AddressKind::phone : sdk::AddressKind::email;
    return m;
  });
}

sdk::Result<void> OutboxStore::mark_sent(const std::string& id, std::int64_t now_seconds) {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(
        "UPDATE lg_outbox SET state = 'sent', subject = '', text = '', html = '', link = '', code "
        "= "
        "'',"
        " last_error = '', claim = '', updated_at = ? WHERE id = ?"),
        use(now_seconds), useRef(id), now;
  });
}

sdk::Result<void> OutboxStore::mark_retry(const std::string& id, std::int64_t next_attempt_at,
                                          const std::string& error) {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    std::string e = error.substr(0, 500);
    s << db_->sql(
        "UPDATE lg_outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, claim = '',"
        " updated_at = ? WHERE id = ?"),
        use(next_attempt_at), use(e), use(next_attempt_at), useRef(id), now;
  });
}

sdk::Result<void> OutboxStore::mark_dead(const std::string& id, const std::string& reason,
                                         std::int64_t now_seconds) {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    std::string e = reason.substr(0, 500);
    s << db_->sql(
        "UPDATE lg_outbox SET state = 'dead', subject = '', text = '', html = '', link = '', code "
        "= "
        "'',"
        " last_error = ?, claim = '', updated_at = ? WHERE id = ?"),
        use(e), use(now_seconds), useRef(id), now;
  });
}

sdk::Result<void> OutboxStore::move_to_channel(const std::string& id, int channel_index,
                                               std::int64_t now_seconds) {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(
        "UPDATE lg_outbox SET state = 'pending', channel_index = ?, next_attempt_at = ?, claim = "
        "'',"
        " updated_at = ? WHERE id = ?"),
        use(channel_index), use(now_seconds), use(now_seconds), useRef(id), now;
  });
}

sdk::Result<std::int64_t> OutboxStore::depth() {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    std::int64_t n = 0;
    s << db_->sql("SELECT COUNT(*) FROM lg_outbox WHERE state IN ('pending', 'sending')"), into(n),
        now;
    return n;
  });
}

sdk::Result<std::map<std::string, std::int64_t>> OutboxStore::counts() {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    std::vector<std::string> states;
    std::vector<std::int64_t> numbers;
    s << db_->sql("SELECT state, COUNT(*) FROM lg_outbox GROUP BY state"), into(states),
        into(numbers), now;
    std::map<std::string, std::int64_t> out;
    for (std::size_t i = 0; i < states.size(); ++i) out[states[i]] = numbers[i];
    return out;
  });
}

sdk::Result<std::pair<std::string, std::string>> OutboxStore::state_of(const std::string& id) {
  return sql::attempt("outbox", [&]() -> sdk::Result<std::pair<std::string, std::string>> {
    auto lease = db_->session();
    auto& s = *lease;
    std::string state, error;
    Poco::Data::Statement select(s);
    select << db_->sql("SELECT state, last_error FROM lg_outbox WHERE id = ?"), useRef(id),
        into(state), into(error), limit(1);
    if (select.execute() == 0) return sdk::fail(sdk::ErrorCode::not_found, "no such message");
    return std::make_pair(state, error);
  });
}

sdk::Result<std::string> OutboxStore::body_of(const std::string& id) {
  return sql::attempt("outbox", [&]() -> sdk::Result<std::string> {
    auto lease = db_->session();
    auto& s = *lease;
    std::string body;
    Poco::Data::Statement select(s);
    select << db_->sql(
        "SELECT subject || text || html || link || code FROM lg_outbox WHERE id = ?"),
        useRef(id), into(body), limit(1);
    if (select.execute() == 0) return sdk::fail(sdk::ErrorCode::not_found, "no such message");
    return body;
  });
}

}  // namespace linkgate::outbox
