#include "stateful_token_strategy.h"
#include "token_records.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>

#include "support/postgres_server.h"
#include "support/query_plan.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"
#include "support/test_services.h"
#include "util/crypto.h"

namespace linkgate::plugins::stateful {
namespace {

class StatefulTest : public ::testing::TestWithParam<const char*> {
 protected:
  sdk::LinkGrant grant(const std::string& subject = "usr_1", std::int64_t ttl = 900) {
    auto now = services.clock->now_seconds();
    return {"flow-1", subject, {sdk::AddressKind::phone, "+15551234567"}, "", now, now + ttl};
  }
  std::string store() {
    if (std::string(GetParam()) == "sqlite") return "sqlite:" + dir.file("tokens.db");
    if (std::string(GetParam()) == "redis") return linkgate::testing::RedisServer::shared().url();
    if (pg_url.empty()) pg_url = linkgate::testing::PostgresServer::shared().fresh_database();
    return pg_url;
  }
  std::string pg_url;
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
};

TEST_P(StatefulTest, IssuesShortRandomTokensThatRedeemToTheirGrant) {
  StatefulTokenStrategy s(store(), *services.host);
  auto given = grant();
  given.redirect_uri = "https://app.example.com/after";
  auto a = s.issue(given);
  auto b = s.issue(grant());
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->token.size(), 43u) << "256 bits, base64url";
  EXPECT_NE(a->token, b->token);
  auto r = s.redeem(a->token);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->flow_id, "flow-1");
  EXPECT_EQ(r->subject, "usr_1");
  EXPECT_EQ(r->identifier.kind, sdk::AddressKind::phone);
  EXPECT_EQ(r->identifier.value, "+15551234567");
  EXPECT_EQ(r->redirect_uri, "https://app.example.com/after");
  EXPECT_EQ(r->issued_at, given.issued_at);
  EXPECT_EQ(r->expires_at, given.expires_at);
  EXPECT_EQ(s.redeem(a->token).code(), sdk::ErrorCode::used);
  auto email = grant();
  email.identifier = {sdk::AddressKind::email, "ada@example.com"};
  auto c = s.redeem(s.issue(email)->token);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->identifier.kind, sdk::AddressKind::email);
  EXPECT_EQ(c->identifier.value, "ada@example.com");
}

TEST_P(StatefulTest, OnlyTheHashIsStored) {
  std::string token;
  {
    StatefulTokenStrategy s(store(), *services.host);
    token = s.issue(grant())->token;
  }
  if (std::string(GetParam()) == "redis") {
    Poco::Redis::Client client("127.0.0.1", linkgate::testing::RedisServer::shared().port());
    Poco::Redis::Array get;
    get << "GET"
        << "lg:tok:" + util::to_hex(util::sha256(token));
    auto value = client.execute<Poco::Redis::BulkString>(get);
    ASSERT_FALSE(value.isNull()) << "stored under its SHA-256";
    EXPECT_EQ(value.value().find(token), std::string::npos) << "the token itself is never stored";
    Poco::Redis::Array keys;
    keys << "KEYS"
         << "*" + token + "*";
    auto found = client.execute<Poco::Redis::Array>(keys);
    EXPECT_TRUE(found.isNull() || found.size() == 0) << "no key names the token";
    return;
  }
  auto db = linkgate::sql::Database::open(store());
  auto lease = db->session();
  std::vector<std::string> rows;
  *lease << "SELECT hash || flow_id || subject || identifier || redirect_uri FROM lg_link_tokens",
      Poco::Data::Keywords::into(rows), Poco::Data::Keywords::now;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].find(token), std::string::npos) << "the token itself is never stored";
  EXPECT_EQ(rows[0].rfind(util::to_hex(util::sha256(token)), 0), 0u) << "its SHA-256 is";
  if (std::string(GetParam()) == "sqlite") {
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(dir.file(std::string("tokens.db") + suffix), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      EXPECT_EQ(bytes.str().find(token), std::string::npos) << "nor written anywhere in the file";
    }
  }
}

TEST_P(StatefulTest, InspectDoesNotConsumeRedeemDoesOnce) {
  StatefulTokenStrategy s(store(), *services.host);
  auto token = s.issue(grant())->token;
  EXPECT_TRUE(s.inspect(token).ok());
  EXPECT_TRUE(s.inspect(token).ok());
  EXPECT_TRUE(s.redeem(token).ok());
  EXPECT_EQ(s.redeem(token).code(), sdk::ErrorCode::used);
  EXPECT_EQ(s.inspect(token).code(), sdk::ErrorCode::used);
}

TEST_P(StatefulTest, Expires) {
  StatefulTokenStrategy s(store(), *services.host);
  auto token = s.issue(grant("usr_1", 60))->token;
  services.clock->advance(std::chrono::seconds(60));
  EXPECT_EQ(s.inspect(token).code(), sdk::ErrorCode::expired);
  EXPECT_EQ(s.redeem(token).code(), sdk::ErrorCode::expired);
}

TEST_P(StatefulTest, RefusesUnknownMalformedAndTamperedTokens) {
  StatefulTokenStrategy s(store(), *services.host);
  auto token = s.issue(grant())->token;
  std::string tampered = token;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(s.redeem(tampered).code(), sdk::ErrorCode::invalid);
  for (const char* bad :
       {"", "short", "eyJhbGciOiJFUzI1NiJ9.e30.sig", "'; DROP TABLE lg_link_tokens; --"}) {
    EXPECT_EQ(s.redeem(bad).code(), sdk::ErrorCode::invalid) << bad;
  }
  EXPECT_EQ(s.redeem(std::string(43, '%')).code(), sdk::ErrorCode::invalid);
  EXPECT_TRUE(s.redeem(token).ok()) << "the table is intact";
}

TEST_P(StatefulTest, ExactlyOneOfTwentyConcurrentRedeemsWins) {
  StatefulTokenStrategy s(store(), *services.host);
  auto token = s.issue(grant())->token;
  std::atomic<int> wins{0}, used{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      auto r = s.redeem(token);
      if (r.ok()) ++wins;
      if (r.code() == sdk::ErrorCode::used) ++used;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(used.load(), 19);
}

TEST_P(StatefulTest, TwoInstancesSharingTheStoreStillRedeemOnce) {
  StatefulTokenStrategy first(store(), *services.host);
  StatefulTokenStrategy second(store(), *services.host);
  auto token = first.issue(grant())->token;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] { wins += (i % 2 ? first : second).redeem(token).ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_P(StatefulTest, RevokesEveryOutstandingTokenOfASubject) {
  StatefulTokenStrategy s(store(), *services.host);
  auto a = s.issue(grant("usr_1"))->token;
  auto b = s.issue(grant("usr_1"))->token;
  auto other = s.issue(grant("usr_2"))->token;
  ASSERT_TRUE(s.revoke_subject("usr_1").ok());
  EXPECT_EQ(s.redeem(a).code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(s.redeem(b).code(), sdk::ErrorCode::invalid);
  EXPECT_TRUE(s.redeem(other).ok());
}

TEST_P(StatefulTest, SweepsLongExpiredTokens) {
  StatefulTokenStrategy s(store(), *services.host);
  s.issue(grant("usr_1", 60));
  auto fresh = s.issue(grant("usr_1", 3 * 86'400))->token;
  services.clock->advance(std::chrono::hours(48));
  if (std::string(GetParam()) == "redis") {
    // Redis expires keys by itself: each token key carries an expiry a day after the token's.
    Poco::Redis::Client client("127.0.0.1", linkgate::testing::RedisServer::shared().port());
    Poco::Redis::Array ttl;
    ttl << "TTL"
        << "lg:tok:" + util::to_hex(util::sha256(fresh));
    EXPECT_GT(client.execute<Poco::Int64>(ttl), 0);
  } else {
    EXPECT_EQ(s.sweep(), 1u);
  }
  EXPECT_TRUE(s.inspect(fresh).ok());
}

// Redis has no plans to check: every look-up there is by key.
class StatefulSqlTest : public StatefulTest {};

TEST_P(StatefulSqlTest, EveryStatementFindsItsRowsThroughAnIndex) {
  auto records = make_sql_records(store());  // creates the table and its indexes
  auto db = linkgate::sql::Database::open(store());
  const auto unindexed =
      linkgate::testing::plan_of(*db, db->sql("SELECT hash FROM lg_link_tokens WHERE flow_id = ?"));
  EXPECT_TRUE(linkgate::testing::scans_whole_table(unindexed, "lg_link_tokens")) << unindexed;
  for (const auto& [name, statement] : sql_record_statements()) {
    if (name == "insert") continue;  // no rows to find
    const auto plan = linkgate::testing::plan_of(*db, db->sql(statement));
    ASSERT_FALSE(plan.empty()) << name;
    EXPECT_FALSE(linkgate::testing::scans_whole_table(plan, "lg_link_tokens")) << name << ":\n"
                                                                               << plan;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StatefulTest, ::testing::Values("sqlite", "postgresql", "redis"),
                         [](const auto& info) { return std::string(info.param); });
INSTANTIATE_TEST_SUITE_P(Backends, StatefulSqlTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace linkgate::plugins::stateful
