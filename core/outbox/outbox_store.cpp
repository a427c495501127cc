#include "outbox/outbox_store.h"

#include <Poco/Nullable.h>

#include <stdexcept>

#include "sql/store_result.h"
#include "util/base64url.h"
#include "util/crypto.h"

using namespace Poco::Data::Keywords;

namespace linkgate::outbox {
namespace {

// The states a message ends in, as the partial index of finished messages and every query that
// is to use it write them. Not `state IN (...)`: SQLite tests a row against an IN list through a
// temporary B-tree it builds for each statement run, and it tests the partial index's condition
// at every insert and update of a message, so each one built and freed a B-tree of its own.
const std::string kFinished = "(state = 'sent' OR state = 'dead' OR state = 'suppressed')";
// The partial index of finished messages; the one named before 2026-12-02 had the IN list, which
// queries written as above can no longer use.
constexpr const char* kFinishedIndex = "lg_outbox_ended";

constexpr const char* kInsert =
    "INSERT INTO lg_outbox (id, flow_id, kind, recipient, locale, subject, text, html, link,"
    " code, state, attempts, channel_index, next_attempt_at, expires_at, created_at,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)";

// Each state counted through the one index that holds it.
const std::string kCounts =
    "SELECT 'pending', COUNT(*) FROM lg_outbox WHERE state = 'pending'"
    " UNION ALL SELECT 'sending', COUNT(*) FROM lg_outbox WHERE state = 'sending'"
    " UNION ALL SELECT state, COUNT(*) FROM lg_outbox WHERE " +
    kFinished + " GROUP BY state";

}  // namespace

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
    // One index per question the worker asks, so no claim, purge or count ever reads the
    // history: what is due, whose lease ran out, what is old enough to purge. Each holds only
    // the rows its question is about, so a message is in one of them at a time: its insert
    // writes one entry and each change of state moves it to the next index, where three
    // indexes over every row wrote three entries and moved all three at each change. A query
    // that is to use one names its condition as written here.
    for (const char* before :
         {"lg_outbox_due", "lg_outbox_lease", "lg_outbox_done", "lg_outbox_finished"}) {
      sql::drop_index_if_present(*db_, s, before);
    }
    s << db_->sql(
        "CREATE INDEX IF NOT EXISTS lg_outbox_pending"
        " ON lg_outbox (state, next_attempt_at) WHERE state = 'pending'"),
        now;
    s << db_->sql(
        "CREATE INDEX IF NOT EXISTS lg_outbox_sending"
        " ON lg_outbox (state, lease_until) WHERE state = 'sending'"),
        now;
    s << db_->sql(std::string("CREATE INDEX IF NOT EXISTS ") + kFinishedIndex +
                  " ON lg_outbox (state, updated_at) WHERE " + kFinished),
        now;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("outbox store: " + e.displayText());
  }
}

void OutboxStore::insert(Poco::Data::Session& s, const OutboxMessage& m,
                         std::int64_t now_seconds) const {
  int kind = static_cast<int>(m.kind);
  // A message its worker holds in memory counts the attempt it is about to get, as a claim would.
  int attempts = m.held_until != 0 ? 1 : 0;
  std::int64_t due = m.held_until != 0 ? m.held_until : now_seconds;
  if (auto* cached = sql::GroupCommit::statements_for(s)) {
    cached->use(kInsert)
        .bind(m.id)
        .bind(m.flow_id)
        .bind(std::int64_t{kind})
        .bind(m.recipient)
        .bind(m.locale)
        .bind(m.subject)
        .bind(m.text)
        .bind(m.html)
        .bind(m.link)
        .bind(m.code)
        .bind(std::int64_t{attempts})
        .bind(std::int64_t{m.channel_index})
        .bind(due)
        .bind(m.expires_at)
        .bind(now_seconds)
        .bind(now_seconds)
        .run();
    return;
  }
  s << db_->sql(kInsert), useRef(m.id), useRef(m.flow_id), use(kind), useRef(m.recipient),
      useRef(m.locale), useRef(m.subject), useRef(m.text), useRef(m.html), useRef(m.link),
      useRef(m.code), use(attempts), useRef(m.channel_index), use(due), useRef(m.expires_at),
      use(now_seconds), use(now_seconds), now;
}

sdk::Result<void> OutboxStore::enqueue(const OutboxMessage& m, std::int64_t now_seconds) {
  return sql::attempt(
      "outbox", [&] { db_->write([&](Poco::Data::Session& s) { insert(s, m, now_seconds); }); });
}

std::string OutboxStore::claim_statement() const {
  // Two indexed lookups, each in index order and limited — due pending messages, then messages
  // whose lease ran out — so a claim reads the rows it takes, not the backlog or the history.
  static const std::string kSet =
      " SET state = 'sending', claim = ?, lease_until = ?, attempts = attempts + 1,"
      " updated_at = ?";
  static const std::string kStillDue =
      " AND ((lg_outbox.state = 'pending' AND lg_outbox.next_attempt_at <= ?)"
      " OR (lg_outbox.state = 'sending' AND lg_outbox.lease_until <= ?))";
  static const std::string kColumns =
      " RETURNING lg_outbox.id, lg_outbox.flow_id, lg_outbox.kind, lg_outbox.recipient,"
      " lg_outbox.locale, lg_outbox.subject, lg_outbox.text, lg_outbox.html, lg_outbox.link,"
      " lg_outbox.code, lg_outbox.attempts, lg_outbox.channel_index, lg_outbox.expires_at";
  if (db_->dialect() == sql::Dialect::postgresql) {
    // SKIP LOCKED in CTEs (it is not allowed under UNION), each evaluated once; the outer test
    // is re-checked after each row is locked, so two servers never claim the same message.
    return db_->sql(
        "WITH due AS (SELECT id FROM lg_outbox WHERE state = 'pending' AND next_attempt_at <= ?"
        "   ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED),"
        " lapsed AS (SELECT id FROM lg_outbox WHERE state = 'sending' AND lease_until <= ?"
        "   ORDER BY lease_until LIMIT ? FOR UPDATE SKIP LOCKED)"
        " UPDATE lg_outbox" +
        kSet +
        " FROM (SELECT id FROM due UNION ALL SELECT id FROM lapsed) AS picked"
        " WHERE lg_outbox.id = picked.id" +
        kStillDue + kColumns);
  }
  // SQLite runs the whole statement under its one writer lock, so the rows picked are still due
  // when they are updated; repeating the test here would tempt the planner to search the due
  // index again instead of fetching the picked rows by key.
  return db_->sql("UPDATE lg_outbox" + kSet +
                  " WHERE id IN (SELECT id FROM (SELECT id FROM lg_outbox WHERE state = 'pending'"
                  "     AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)"
                  "   UNION ALL SELECT id FROM (SELECT id FROM lg_outbox WHERE state = 'sending'"
                  "     AND lease_until <= ? ORDER BY lease_until LIMIT ?))" +
                  kColumns);
}

sdk::Result<std::vector<OutboxMessage>> OutboxStore::claim_batch(std::int64_t now_seconds,
                                                                 std::int64_t lease_seconds,
                                                                 int max) {
  return sql::attempt("outbox", [&]() -> sdk::Result<std::vector<OutboxMessage>> {
    std::string claim = util::base64url_encode(util::random_bytes(12));
    std::int64_t lease_until = now_seconds + lease_seconds;
    std::vector<std::string> ids, flow_ids, recipients, locales, subjects, texts, htmls, links,
        codes;
    std::vector<int> kinds, attempts, channels;
    std::vector<std::int64_t> expiries;
    const bool postgres = db_->dialect() == sql::Dialect::postgresql;
    std::vector<OutboxMessage> cached;
    bool was_cached = false;
    db_->write([&](Poco::Data::Session& s) {
      if (auto* statements = sql::GroupCommit::statements_for(s)) {
        cached = claim_cached(*statements, claim, lease_until, now_seconds, max);
        was_cached = true;
        return;
      }
      Poco::Data::Statement update(s);
      update << claim_statement(), into(ids), into(flow_ids), into(kinds), into(recipients),
          into(locales), into(subjects), into(texts), into(htmls), into(links), into(codes),
          into(attempts), into(channels), into(expiries);
      // The placeholders come in a different order in the two forms.
      if (postgres) {
        update, use(now_seconds), use(max), use(now_seconds), use(max), useRef(claim),
            use(lease_until), use(now_seconds);
      } else {
        update, useRef(claim), use(lease_until), use(now_seconds), use(now_seconds), use(max),
            use(now_seconds), use(max);
      }
      if (postgres) update, use(now_seconds), use(now_seconds);
      update.execute();
    });
    if (was_cached) return cached;
    std::vector<OutboxMessage> out(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto& m = out[i];
      m.id = ids[i];
      m.flow_id = flow_ids[i];
      m.kind = kinds[i] == 1 ? sdk::AddressKind::phone : sdk::AddressKind::email;
      m.recipient = recipients[i];
      m.locale = locales[i];
      m.subject = subjects[i];
      m.text = texts[i];
      m.html = htmls[i];
      m.link = links[i];
      m.code = codes[i];
      m.attempts = attempts[i];
      m.channel_index = channels[i];
      m.expires_at = expiries[i];
    }
    return out;
  });
}

std::vector<OutboxMessage> OutboxStore::claim_cached(sql::SqliteStatements& statements,
                                                     const std::string& claim,
                                                     std::int64_t lease_until,
                                                     std::int64_t now_seconds, int max) const {
  std::vector<OutboxMessage> out;
  auto update = statements.use(claim_statement());
  update.bind(claim)
      .bind(lease_until)
      .bind(now_seconds)
      .bind(now_seconds)
      .bind(std::int64_t{max})
      .bind(now_seconds)
      .bind(std::int64_t{max});
  while (update.next_row()) {
    auto& m = out.emplace_back();
    m.id = update.text(0);
    m.flow_id = update.text(1);
    m.kind = update.int64(2) == 1 ? sdk::AddressKind::phone : sdk::AddressKind::email;
    m.recipient = update.text(3);
    m.locale = update.text(4);
    m.subject = update.text(5);
    m.text = update.text(6);
    m.html = update.text(7);
    m.link = update.text(8);
    m.code = update.text(9);
    m.attempts = static_cast<int>(update.int64(10));
    m.channel_index = static_cast<int>(update.int64(11));
    m.expires_at = update.int64(12);
  }
  return out;
}

sdk::Result<OutboxMessage> OutboxStore::claim(std::int64_t now_seconds,
                                              std::int64_t lease_seconds) {
  auto batch = claim_batch(now_seconds, lease_seconds, 1);
  if (!batch.ok()) return batch.error();
  if (batch->empty()) return sdk::fail(sdk::ErrorCode::not_found, "nothing due");
  return std::move(batch->front());
}

namespace {

// The body goes in the statement that records the end: nothing to erase later.
constexpr const char* kFinishErasingBody =
    "UPDATE lg_outbox SET state = ?, subject = '', text = '', html = '', link = '', code = '',"
    " last_error = ?, claim = '', updated_at = ? WHERE id = ?";
constexpr const char* kRetry =
    "UPDATE lg_outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, claim = '',"
    " updated_at = ? WHERE id = ?";
constexpr const char* kMoved =
    "UPDATE lg_outbox SET state = 'pending', next_attempt_at = ?, channel_index = ?, claim = '',"
    " updated_at = ? WHERE id = ?";
constexpr const char* kReleased =
    "UPDATE lg_outbox SET state = 'pending', next_attempt_at = ?, attempts = attempts - 1,"
    " claim = '', updated_at = ? WHERE id = ?";

constexpr const char* kBacklog =
    "SELECT COUNT(*), MIN(created_at) FROM ("
    "SELECT created_at FROM lg_outbox WHERE state = 'pending'"
    " UNION ALL SELECT created_at FROM lg_outbox WHERE state = 'sending') AS waiting";
constexpr const char* kDepth =
    "SELECT (SELECT COUNT(*) FROM lg_outbox WHERE state = 'pending')"
    " + (SELECT COUNT(*) FROM lg_outbox WHERE state = 'sending')";

const char* state_name(Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::sent:
      return "sent";
    case Outcome::Kind::suppressed:
      return "suppressed";
    default:
      return "dead";
  }
}

}  // namespace

sdk::Result<void> OutboxStore::record(const std::vector<Outcome>& outcomes,
                                      std::int64_t now_seconds) {
  if (outcomes.empty()) return sdk::success();
  return sql::attempt("outbox", [&] {
    db_->write([&](Poco::Data::Session& s) {
      if (auto* cached = sql::GroupCommit::statements_for(s)) {
        for (const auto& o : outcomes) record_cached(*cached, o, now_seconds);
        return;
      }
      for (const auto& o : outcomes) {
        std::string error = o.error.substr(0, 500);
        if (o.erases_body()) {
          std::string state = state_name(o.kind);
          s << db_->sql(kFinishErasingBody), use(state), use(error), use(now_seconds), useRef(o.id),
              now;
        } else if (o.kind == Outcome::Kind::released) {
          s << db_->sql(kReleased), useRef(o.due), use(now_seconds), useRef(o.id), now;
        } else if (o.kind == Outcome::Kind::retry) {
          s << db_->sql(kRetry), useRef(o.due), use(error), use(now_seconds), useRef(o.id), now;
        } else {
          s << db_->sql(kMoved), useRef(o.due), useRef(o.channel_index), use(now_seconds),
              useRef(o.id), now;
        }
      }
    });
  });
}

void OutboxStore::record_cached(sql::SqliteStatements& statements, const Outcome& o,
                                std::int64_t now_seconds) {
  const std::string_view error = std::string_view(o.error).substr(0, 500);
  if (o.erases_body()) {
    statements.use(kFinishErasingBody)
        .bind(std::string_view(state_name(o.kind)))
        .bind(error)
        .bind(now_seconds)
        .bind(o.id)
        .run();
  } else if (o.kind == Outcome::Kind::released) {
    statements.use(kReleased).bind(o.due).bind(now_seconds).bind(o.id).run();
  } else if (o.kind == Outcome::Kind::retry) {
    statements.use(kRetry).bind(o.due).bind(error).bind(now_seconds).bind(o.id).run();
  } else {
    statements.use(kMoved)
        .bind(o.due)
        .bind(std::int64_t{o.channel_index})
        .bind(now_seconds)
        .bind(o.id)
        .run();
  }
}

sdk::Result<void> OutboxStore::mark_sent(const std::string& id, std::int64_t now_seconds) {
  return record({{Outcome::Kind::sent, id, "", 0, 0}}, now_seconds);
}

sdk::Result<void> OutboxStore::mark_suppressed(const std::string& id, std::int64_t now_seconds) {
  return record({{Outcome::Kind::suppressed, id, "", 0, 0}}, now_seconds);
}

sdk::Result<sql::GroupCommit::Scrub> OutboxStore::scrub(bool more_erased,
                                                        std::chrono::milliseconds patience) {
  return sql::attempt("outbox", [&] { return db_->scrub_log(more_erased, patience); });
}

sdk::Result<void> OutboxStore::mark_retry(const std::string& id, std::int64_t next_attempt_at,
                                          const std::string& error) {
  return record({{Outcome::Kind::retry, id, error, next_attempt_at, 0}}, next_attempt_at);
}

sdk::Result<void> OutboxStore::mark_dead(const std::string& id, const std::string& reason,
                                         std::int64_t now_seconds) {
  return record({{Outcome::Kind::dead, id, reason, 0, 0}}, now_seconds);
}

sdk::Result<void> OutboxStore::move_to_channel(const std::string& id, int channel_index,
                                               std::int64_t now_seconds) {
  return record({{Outcome::Kind::moved, id, "", now_seconds, channel_index}}, now_seconds);
}

sdk::Result<std::map<std::string, std::int64_t>> OutboxStore::purge(std::int64_t before,
                                                                    int max_rows) {
  return sql::attempt("outbox", [&] {
    std::map<std::string, std::int64_t> purged;
    db_->write([&](Poco::Data::Session& s) {
      for (std::string state : {"sent", "dead", "suppressed"}) {
        Poco::Data::Statement del(s);
        del << purge_statement(), useRef(state), use(before), use(max_rows);
        purged[state] = static_cast<std::int64_t>(del.execute());
      }
    });
    return purged;
  });
}

std::string OutboxStore::purge_statement() const {
  return db_->sql("DELETE FROM lg_outbox WHERE id IN (SELECT id FROM lg_outbox WHERE " + kFinished +
                  " AND state = ? AND updated_at < ? LIMIT ?)");
}

std::vector<std::pair<std::string, std::string>> OutboxStore::statements() const {
  return {
      {"insert", db_->sql(kInsert)},
      {"claim", claim_statement()},
      {"finish", db_->sql(kFinishErasingBody)},
      {"retry", db_->sql(kRetry)},
      {"move", db_->sql(kMoved)},
      {"release", db_->sql(kReleased)},
      {"depth", db_->sql(kDepth)},
      {"counts", db_->sql(kCounts)},
      {"backlog", db_->sql(kBacklog)},
      {"purge", purge_statement()},
  };
}

sdk::Result<std::int64_t> OutboxStore::depth() {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    std::int64_t n = 0;
    s << db_->sql(kDepth), into(n), now;
    return n;
  });
}

sdk::Result<OutboxStore::Backlog> OutboxStore::backlog() {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    Backlog b;
    Poco::Nullable<std::int64_t> oldest;
    s << db_->sql(kBacklog), into(b.depth), into(oldest), now;
    b.oldest = oldest.isNull() ? 0 : oldest.value();
    return b;
  });
}

sdk::Result<std::map<std::string, std::int64_t>> OutboxStore::counts() {
  return sql::attempt("outbox", [&] {
    auto lease = db_->session();
    auto& s = *lease;
    std::vector<std::string> states;
    std::vector<std::int64_t> numbers;
    s << db_->sql(kCounts), into(states), into(numbers), now;
    std::map<std::string, std::int64_t> out;
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (numbers[i] > 0) out[states[i]] = numbers[i];
    }
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
