#include <Poco/Data/Statement.h>

#include "sql/database.h"
#include "token_records.h"

using namespace Poco::Data::Keywords;

namespace linkgate::plugins::stateful {
namespace {

constexpr const char* kInsert =
    "INSERT INTO lg_link_tokens (hash, flow_id, subject, identifier_kind, identifier,"
    " redirect_uri, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kFind =
    "SELECT flow_id, subject, identifier_kind, identifier, redirect_uri, issued_at, expires_at,"
    " used_at FROM lg_link_tokens WHERE hash = ?";
// The grant comes back with the one winning update: a redeem reads nothing after it.
constexpr const char* kConsume =
    "UPDATE lg_link_tokens SET used_at = ? WHERE hash = ? AND used_at = 0 AND expires_at > ?"
    " RETURNING flow_id, subject, identifier_kind, identifier, redirect_uri, issued_at,"
    " expires_at";
constexpr const char* kRevokeSubject =
    "UPDATE lg_link_tokens SET used_at = -1 WHERE subject = ? AND used_at = 0";
constexpr const char* kSweep = "DELETE FROM lg_link_tokens WHERE expires_at < ?";

sdk::AddressKind kind_of(std::int64_t column) {
  return column == 1 ? sdk::AddressKind::phone : sdk::AddressKind::email;
}

/// The grant in the first seven columns of a find or a consume.
sdk::LinkGrant grant_of(const linkgate::sql::SqliteStatements::Use& row) {
  sdk::LinkGrant grant;
  grant.flow_id = row.text(0);
  grant.subject = row.text(1);
  grant.identifier.kind = kind_of(row.int64(2));
  grant.identifier.value = row.text(3);
  grant.redirect_uri = row.text(4);
  grant.issued_at = row.int64(5);
  grant.expires_at = row.int64(6);
  return grant;
}

TokenRow with_state(TokenRow row, std::int64_t used_at) {
  row.state = used_at == 0    ? TokenRow::State::unused
              : used_at == -1 ? TokenRow::State::revoked
                              : TokenRow::State::used;
  return row;
}

// Writes go through Database::write(): on SQLite one writer commits the writes of all
// concurrent requests together, instead of each waiting for the lock on a connection of its own.
// On SQLite the hot statements (insert, find, consume) are prepared once per connection
// (sql/sqlite_statements); PostgreSQL goes through Poco Data.
class SqlTokenRecords final : public TokenRecords {
 public:
  explicit SqlTokenRecords(const std::string& url) : db_(linkgate::sql::Database::open(url)) {
    auto lease = db_->session();
    *lease << db_->sql(
        "CREATE TABLE IF NOT EXISTS lg_link_tokens ("
        " hash TEXT PRIMARY KEY,"
        " flow_id TEXT NOT NULL, subject TEXT NOT NULL,"
        " identifier_kind INTEGER NOT NULL, identifier TEXT NOT NULL, redirect_uri TEXT NOT NULL,"
        " issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT NOT NULL DEFAULT "
        "0)"),
        now;
    *lease << db_->sql(
        "CREATE INDEX IF NOT EXISTS lg_link_tokens_subject ON lg_link_tokens (subject)"),
        now;
    *lease << db_->sql(
        "CREATE INDEX IF NOT EXISTS lg_link_tokens_expiry ON lg_link_tokens (expires_at)"),
        now;
  }

  void insert(const std::string& hash, const sdk::LinkGrant& g) override {
    int kind = static_cast<int>(g.identifier.kind);
    db_->write([&](Poco::Data::Session& s) {
      if (auto* cached = linkgate::sql::GroupCommit::statements_for(s)) {
        cached->use(kInsert)
            .bind(hash)
            .bind(g.flow_id)
            .bind(g.subject)
            .bind(std::int64_t{kind})
            .bind(g.identifier.value)
            .bind(g.redirect_uri)
            .bind(g.issued_at)
            .bind(g.expires_at)
            .run();
        return;
      }
      s << db_->sql(kInsert), useRef(hash), useRef(g.flow_id), useRef(g.subject), use(kind),
          useRef(g.identifier.value), useRef(g.redirect_uri), useRef(g.issued_at),
          useRef(g.expires_at), now;
    });
  }

  std::optional<TokenRow> find(const std::string& hash) override {
    auto lease = db_->session();
    TokenRow row;
    int kind = 0;
    std::int64_t used_at = 0;
    if (auto* cached = lease.statements()) {  // SQLite: prepared once per connection
      auto select = cached->use(kFind);
      select.bind(hash);
      if (!select.next_row()) return std::nullopt;
      row.grant = grant_of(select);
      used_at = select.int64(7);
      return with_state(std::move(row), used_at);
    } else {
      Poco::Data::Statement select(*lease);
      select << db_->sql(kFind), useRef(hash), into(row.grant.flow_id), into(row.grant.subject),
          into(kind), into(row.grant.identifier.value), into(row.grant.redirect_uri),
          into(row.grant.issued_at), into(row.grant.expires_at), into(used_at), limit(1);
      if (select.execute() == 0) return std::nullopt;
    }
    row.grant.identifier.kind = kind_of(kind);
    return with_state(std::move(row), used_at);
  }

  std::optional<sdk::LinkGrant> consume(const std::string& hash, std::int64_t now_s) override {
    std::optional<sdk::LinkGrant> won;
    db_->write([&](Poco::Data::Session& s) {
      if (auto* cached = linkgate::sql::GroupCommit::statements_for(s)) {
        auto update = cached->use(kConsume);
        update.bind(now_s).bind(hash).bind(now_s);
        if (update.next_row()) won = grant_of(update);  // the hash is the key: one row at most
        return;
      }
      sdk::LinkGrant grant;
      int kind = 0;
      Poco::Data::Statement update(s);
      update << db_->sql(kConsume), use(now_s), useRef(hash), use(now_s), into(grant.flow_id),
          into(grant.subject), into(kind), into(grant.identifier.value), into(grant.redirect_uri),
          into(grant.issued_at), into(grant.expires_at), limit(1);
      if (update.execute() == 1 && !grant.flow_id.empty()) {
        grant.identifier.kind = kind_of(kind);
        won = std::move(grant);
      }
    });
    return won;
  }

  void revoke_subject(const std::string& subject) override {
    db_->write(
        [&](Poco::Data::Session& s) { s << db_->sql(kRevokeSubject), useRef(subject), now; });
  }

  std::size_t sweep(std::int64_t before) override {
    std::size_t swept = 0;
    db_->write([&](Poco::Data::Session& s) {
      Poco::Data::Statement del(s);
      del << db_->sql(kSweep), use(before);
      swept = del.execute();
    });
    return swept;
  }

  void ping() override {
    auto lease = db_->session();
    int one = 0;
    *lease << "SELECT 1", into(one), now;
  }

 private:
  std::shared_ptr<linkgate::sql::Database> db_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> sql_record_statements() {
  return {{"insert", kInsert},
          {"find", kFind},
          {"consume", kConsume},
          {"revoke_subject", kRevokeSubject},
          {"sweep", kSweep}};
}

std::unique_ptr<TokenRecords> make_sql_records(const std::string& url) {
  return std::make_unique<SqlTokenRecords>(url);
}

}  // namespace linkgate::plugins::stateful
