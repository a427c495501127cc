#include "stateful_token_strategy.h"

#include <Poco/Data/Statement.h>

#include <stdexcept>

#include "util/base64url.h"
#include "util/crypto.h"

using namespace Poco::Data::Keywords;

namespace linkgate::plugins::stateful {
namespace {

constexpr std::int64_t kSweepGrace = 86'400;

std::string hash_of(std::string_view token) {
  return util::to_hex(util::sha256(token));
}

template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("token store: ") + e.what());
  }
}

}  // namespace

bool well_formed(std::string_view token) {
  if (token.size() != 43) return false;
  for (char c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

StatefulTokenStrategy::StatefulTokenStrategy(const std::string& store_url, sdk::HostServices& host)
    : host_(host) {
  db_ = store::Database::open(store_url);
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

sdk::Result<sdk::IssuedToken> StatefulTokenStrategy::issue(const sdk::LinkGrant& grant) {
  const std::string token = util::base64url_encode(host_.random().bytes(32));
  auto stored = guarded([&]() -> sdk::Result<void> {
    auto lease = db_->session();
    const std::string hash = hash_of(token);
    int kind = static_cast<int>(grant.identifier.kind);
    *lease << db_->sql(
        "INSERT INTO lg_link_tokens (hash, flow_id, subject, identifier_kind, identifier, "
        "redirect_uri,"
        " issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(hash), useRef(grant.flow_id), useRef(grant.subject), use(kind),
        useRef(grant.identifier.value), useRef(grant.redirect_uri), useRef(grant.issued_at),
        useRef(grant.expires_at), now;
    return sdk::success();
  });
  if (!stored.ok()) return stored.error();
  if (++issued_since_sweep_ % 1024 == 0)
    guarded([&]() -> sdk::Result<void> {
      sweep();
      return sdk::success();
    });
  return sdk::IssuedToken{token, grant.expires_at};
}

sdk::Result<StatefulTokenStrategy::Row> StatefulTokenStrategy::load(const std::string& hash) {
  return guarded([&]() -> sdk::Result<Row> {
    auto lease = db_->session();
    Row row;
    int kind = 0;
    Poco::Data::Statement select(*lease);
    select << db_->sql(
        "SELECT flow_id, subject, identifier_kind, identifier, redirect_uri, issued_at, "
        "expires_at, used_at"
        " FROM lg_link_tokens WHERE hash = ?"),
        useRef(hash), into(row.grant.flow_id), into(row.grant.subject), into(kind),
        into(row.grant.identifier.value), into(row.grant.redirect_uri), into(row.grant.issued_at),
        into(row.grant.expires_at), into(row.used_at), limit(1);
    if (select.execute() == 0) return sdk::fail(sdk::ErrorCode::invalid, "unknown token");
    row.grant.identifier.kind = kind == 1 ? sdk::AddressKind::phone : sdk::AddressKind::email;
    return row;
  });
}

sdk::Result<sdk::LinkGrant> StatefulTokenStrategy::judge(const Row& row) {
  if (row.used_at == -1) return sdk::fail(sdk::ErrorCode::invalid, "revoked");
  if (row.used_at != 0) return sdk::fail(sdk::ErrorCode::used, "already redeemed");
  if (host_.clock().now_seconds() >= row.grant.expires_at)
    return sdk::fail(sdk::ErrorCode::expired, "expired");
  return row.grant;
}

sdk::Result<sdk::LinkGrant> StatefulTokenStrategy::inspect(std::string_view token) {
  if (!well_formed(token)) return sdk::fail(sdk::ErrorCode::invalid, "malformed token");
  auto row = load(hash_of(token));
  if (!row.ok()) return row.error();
  return judge(row.value());
}

sdk::Result<sdk::LinkGrant> StatefulTokenStrategy::redeem(std::string_view token) {
  if (!well_formed(token)) return sdk::fail(sdk::ErrorCode::invalid, "malformed token");
  const std::string hash = hash_of(token);
  std::int64_t now_s = host_.clock().now_seconds();
  auto won = guarded([&]() -> sdk::Result<bool> {
    auto lease = db_->session();
    Poco::Data::Statement update(*lease);
    update << db_->sql(
        "UPDATE lg_link_tokens SET used_at = ? WHERE hash = ? AND used_at = 0 AND expires_at "
        "> ?"),
        use(now_s), useRef(hash), use(now_s);
    return update.execute() == 1;
  });
  if (!won.ok()) return won.error();
  auto row = load(hash);
  if (!row.ok()) return row.error();
  if (won.value()) return row->grant;
  return judge(row.value()).error();  // says why it lost: used, expired, revoked
}

sdk::Result<void> StatefulTokenStrategy::revoke_subject(std::string_view subject) {
  return guarded([&]() -> sdk::Result<void> {
    auto lease = db_->session();
    std::string s(subject);
    *lease << db_->sql("UPDATE lg_link_tokens SET used_at = -1 WHERE subject = ? AND used_at = 0"),
        useRef(s), now;
    return sdk::success();
  });
}

sdk::Result<void> StatefulTokenStrategy::ready() {
  return guarded([&]() -> sdk::Result<void> {
    auto lease = db_->session();
    int one = 0;
    *lease << db_->sql("SELECT 1"), into(one), now;
    return sdk::success();
  });
}

std::size_t StatefulTokenStrategy::sweep() {
  auto lease = db_->session();
  std::int64_t before = host_.clock().now_seconds() - kSweepGrace;
  Poco::Data::Statement del(*lease);
  del << db_->sql("DELETE FROM lg_link_tokens WHERE expires_at < ?"), use(before);
  return del.execute();
}

}  // namespace linkgate::plugins::stateful
