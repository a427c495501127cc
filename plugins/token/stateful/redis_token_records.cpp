// Stateful tokens in Redis. The grant is one string under `lg:tok:<hash>`; redeeming is
// `SET lg:tok-state:<hash> used NX`, atomic across every instance sharing the Redis, and leaves
// the answer precise (a second redeem is "used", not "unknown"). Keys expire a day after the
// token, so Redis sweeps by itself.

#include <stdexcept>

#include "redis/redis_client.h"
#include "token_records.h"

namespace linkgate::plugins::stateful {
namespace {

using Poco::Redis::Array;
using Poco::Redis::BulkString;
using Poco::Redis::RedisType;
using redis::RedisClient;

constexpr char kSep = '\x1f';  // unit separator: never in a validated identifier, URL or id
constexpr std::int64_t kKeepAfterExpiry = 86'400;

std::string field(const std::string& s, std::size_t& at) {
  auto end = s.find(kSep, at);
  std::string out = s.substr(at, end == std::string::npos ? std::string::npos : end - at);
  at = end == std::string::npos ? s.size() : end + 1;
  return out;
}

class RedisTokenRecords final : public TokenRecords {
 public:
  explicit RedisTokenRecords(const std::string& url) : redis_(url) { ping(); }

  void insert(const std::string& hash, const sdk::LinkGrant& g) override {
    const std::string value = g.flow_id + kSep + g.subject + kSep +
                              std::to_string(static_cast<int>(g.identifier.kind)) + kSep +
                              g.identifier.value + kSep + g.redirect_uri + kSep +
                              std::to_string(g.issued_at) + kSep + std::to_string(g.expires_at);
    const std::string until = std::to_string(g.expires_at + kKeepAfterExpiry);
    Array set;
    set << "SET"
        << "lg:tok:" + hash << value << "EXAT" << until;
    expect_ok(run(set));
    if (!g.subject.empty()) {
      Array add;
      add << "SADD"
          << "lg:tok-subject:" + g.subject << hash;
      run(add);
      Array expire;
      expire << "EXPIREAT"
             << "lg:tok-subject:" + g.subject << until;
      run(expire);
    }
  }

  std::optional<TokenRow> find(const std::string& hash) override {
    Array get;
    get << "GET"
        << "lg:tok:" + hash;
    auto value = bulk(run(get));
    if (!value) return std::nullopt;
    TokenRow row;
    std::size_t at = 0;
    row.grant.flow_id = field(*value, at);
    row.grant.subject = field(*value, at);
    row.grant.identifier.kind =
        field(*value, at) == "1" ? sdk::AddressKind::phone : sdk::AddressKind::email;
    row.grant.identifier.value = field(*value, at);
    row.grant.redirect_uri = field(*value, at);
    row.grant.issued_at = std::stoll(field(*value, at));
    row.grant.expires_at = std::stoll(field(*value, at));
    Array state;
    state << "GET"
          << "lg:tok-state:" + hash;
    auto s = bulk(run(state));
    row.state = !s                ? TokenRow::State::unused
                : *s == "revoked" ? TokenRow::State::revoked
                                  : TokenRow::State::used;
    return row;
  }

  std::optional<sdk::LinkGrant> consume(const std::string& hash, std::int64_t now_s) override {
    auto row = find(hash);
    if (!row || row->state != TokenRow::State::unused || now_s >= row->grant.expires_at)
      return std::nullopt;
    if (!mark(hash, "used", row->grant.expires_at)) return std::nullopt;
    return row->grant;
  }

  void revoke_subject(const std::string& subject) override {
    Array members;
    members << "SMEMBERS"
            << "lg:tok-subject:" + subject;
    auto reply = run(members);
    if (!reply->isArray()) return;
    const auto& list = static_cast<const Poco::Redis::Type<Array>*>(reply.get())->value();
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto hash = list.get<BulkString>(i);
      if (!hash.isNull()) mark(hash.value(), "revoked", 0);
    }
  }

  std::size_t sweep(std::int64_t) override { return 0; }  // keys carry their own expiry

  void ping() override { redis_.ping(); }

 private:
  // SET state NX: the one atomic step that decides the single winner.
  bool mark(const std::string& hash, const std::string& state, std::int64_t expires_at) {
    Array set;
    set << "SET"
        << "lg:tok-state:" + hash << state << "NX";
    if (expires_at > 0) set << "EXAT" << std::to_string(expires_at + kKeepAfterExpiry);
    auto reply = run(set);
    return reply->isSimpleString();  // "OK"; a null bulk string when the state was already set
  }

  RedisType::Ptr run(Array& command) { return redis_.run(command); }

  static void expect_ok(const RedisType::Ptr& reply) {
    if (!reply->isSimpleString())
      throw std::runtime_error("redis: unexpected reply " + reply->toString());
  }

  static std::optional<std::string> bulk(const RedisType::Ptr& reply) {
    return RedisClient::bulk(reply);
  }

  RedisClient redis_;
};

}  // namespace

std::unique_ptr<TokenRecords> make_redis_records(const std::string& url) {
  return std::make_unique<RedisTokenRecords>(url);
}

}  // namespace linkgate::plugins::stateful
