#include "stateful_token_strategy.h"

#include <stdexcept>

#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::plugins::stateful {
namespace {

constexpr std::int64_t kSweepGrace = 86'400;

std::string hash_of(std::string_view token) {
  return util::to_hex(util::sha256(token));
}

// The store being unreachable is an expected outcome (503), not an exception for the host.
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
    : records_(store_url.rfind("redis", 0) == 0 ? make_redis_records(store_url)
                                                : make_sql_records(store_url)),
      host_(host) {}

sdk::Result<sdk::IssuedToken> StatefulTokenStrategy::issue(const sdk::LinkGrant& grant) {
  const std::string token = util::base64url_encode(host_.random().bytes(32));
  auto stored = guarded([&]() -> sdk::Result<void> {
    records_->insert(hash_of(token), grant);
    if (++issued_since_sweep_ % 1024 == 0) sweep();
    return sdk::success();
  });
  if (!stored.ok()) return stored.error();
  return sdk::IssuedToken{token, grant.expires_at};
}

sdk::Result<sdk::LinkGrant> StatefulTokenStrategy::judge(const TokenRow& row) {
  if (row.state == TokenRow::State::revoked) return sdk::fail(sdk::ErrorCode::invalid, "revoked");
  if (row.state == TokenRow::State::used)
    return sdk::fail(sdk::ErrorCode::used, "already redeemed");
  if (host_.clock().now_seconds() >= row.grant.expires_at)
    return sdk::fail(sdk::ErrorCode::expired, "expired");
  return row.grant;
}

sdk::Result<sdk::LinkGrant> StatefulTokenStrategy::inspect(std::string_view token) {
  if (!well_formed(token)) return sdk::fail(sdk::ErrorCode::invalid, "malformed token");
  return guarded([&]() -> sdk::Result<sdk::LinkGrant> {
    auto row = records_->find(hash_of(token));
    if (!row) return sdk::fail(sdk::ErrorCode::invalid, "unknown token");
    return judge(*row);
  });
}

sdk::Result<sdk::LinkGrant> StatefulTokenStrategy::redeem(std::string_view token) {
  if (!well_formed(token)) return sdk::fail(sdk::ErrorCode::invalid, "malformed token");
  const std::string hash = hash_of(token);
  return guarded([&]() -> sdk::Result<sdk::LinkGrant> {
    if (auto won = records_->consume(hash, host_.clock().now_seconds())) return std::move(*won);
    auto row = records_->find(hash);
    if (!row) return sdk::fail(sdk::ErrorCode::invalid, "unknown token");
    auto why = judge(*row);  // says why it lost: used, expired, revoked
    if (why.ok()) return sdk::fail(sdk::ErrorCode::used, "already redeemed");  // just now
    return why.error();
  });
}

sdk::Result<void> StatefulTokenStrategy::revoke_subject(std::string_view subject) {
  return guarded([&]() -> sdk::Result<void> {
    records_->revoke_subject(std::string(subject));
    return sdk::success();
  });
}

sdk::Result<void> StatefulTokenStrategy::ready() {
  return guarded([&]() -> sdk::Result<void> {
    records_->ping();
    return sdk::success();
  });
}

std::size_t StatefulTokenStrategy::sweep() {
  return records_->sweep(host_.clock().now_seconds() - kSweepGrace);
}

}  // namespace linkgate::plugins::stateful
