// User stores behind the whole flow.

#include <gtest/gtest.h>

#include <fstream>

#include "support/postgres_server.h"
#include "support/redis_server.h"
#include "support/test_server.h"

#include <atomic>
#include <thread>

namespace linkgate::testing {
namespace {

// Redeems @p token 20 times at once, alternating between two servers; returns the successes.
int redeem_on_both(TestServer& first, TestServer& second, const std::string& token) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto& server = i % 2 ? first : second;
      ok += server.client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}")
                .status == 200;
    });
  }
  for (auto& t : threads) t.join();
  return ok.load();
}

TEST(Users, AFixedYamlListSignsInItsUsersAndIsReReadOnReload) {
  TempDir users;
  const std::string file = users.file("users.yaml");
  std::ofstream(file) << "- { id: alice, email: alice@example.com }\n";
  TestConfig config;
  config.users_plugin = "yaml";
  config.users_config = "{ file: " + file + " }";
  config.signup = "false";
  TestServer server(config);

  ASSERT_EQ(
      server.client().post_json("/v1/magic-links", "{\"identifier\":\"alice@example.com\"}").status,
      202);
  auto message = server.wait_for_message("alice@example.com");
  auto in =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_NE(in.body.find("\"id\":\"alice\""), std::string::npos);

  EXPECT_EQ(
      server.client().post_json("/v1/magic-links", "{\"identifier\":\"bob@example.com\"}").status,
      202);
  // Not on the list: bob's message is stored like any and discarded unsent (suppressed), and
  // once every message there is delivered, none was bob's.
  EXPECT_EQ(server.wait_for_outbox("suppressed", 1), 1);
  EXPECT_EQ(server.wait_for_outbox("sent", 1), 1);
  EXPECT_EQ(server.runtime().outbox().depth().value(), 0);
  EXPECT_EQ(server.messages_for("bob@example.com"), 0u) << "not on the list: nothing is sent";

  std::ofstream(file)
      << "- { id: alice, email: alice@example.com }\n- { id: bob, email: bob@example.com }\n";
  config::Diagnostics d;
  auto settings = config::load_settings_text(config.yaml(server.dir()), "r.yaml", d);
  ASSERT_TRUE(settings) << d.to_string();
  ASSERT_TRUE(server.server().reload(*settings).ok());
  ASSERT_EQ(
      server.client().post_json("/v1/magic-links", "{\"identifier\":\"bob@example.com\"}").status,
      202);
  auto bob = server.wait_for_message("bob@example.com");
  EXPECT_EQ(server.client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + bob.token + "\"}")
                .status,
            200);
}

TEST(Users, ABrokenUserListIsRefusedAtStartup) {
  TempDir users;
  std::ofstream(users.file("users.yaml"))
      << "- { id: a, email: a@example.com }\n- { id: a, email: b@example.com }\n";
  TestConfig config;
  config.users_plugin = "yaml";
  config.users_config = "{ file: " + users.file("users.yaml") + " }";
  try {
    TestServer server(config);
    FAIL() << "should have refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate id a"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

// Everything a multi-instance deployment shares, on a real PostgreSQL: users, stateful tokens,
// flows and the outbox; two servers on the same database redeem a link once.
TEST(Postgres, TheWholeFlowOnPostgresAcrossTwoServers) {
  auto& pg = PostgresServer::shared();
  const std::string users = pg.fresh_database(), tokens = pg.fresh_database(),
                    core = pg.fresh_database();
  TestConfig config;
  config.users_config = "{ connector: postgresql, database: \"" + users + "\" }";
  config.token_plugin = "stateful";
  config.token_config = "{ store: \"" + tokens + "\" }";
  config.outbox_store = core;
  TempDir shared_keys;  // instances of one deployment share the server secret and signing keys
  config.keys_dir = shared_keys.path().string();
  TempDir shared_outbox;  // either server's worker may deliver the message
  config.outbox_dir = shared_outbox.path().string();
  TestServer first(config);
  TestServer second(config);

  ASSERT_EQ(
      first.client().post_json("/v1/magic-links", "{\"identifier\":\"pg@example.com\"}").status,
      202);
  auto message = first.wait_for_message("pg@example.com");
  EXPECT_EQ(message.token.size(), 43u);
  EXPECT_EQ(redeem_on_both(first, second, message.token), 1)
      << "single use across two servers sharing PostgreSQL";
  EXPECT_TRUE(second.runtime().users().find({sdk::AddressKind::email, "pg@example.com"}).ok())
      << "the user made through one server is seen by the other";

  // The code path, started on one server and finished on the other.
  auto started =
      first.client().post_json("/v1/magic-links", "{\"identifier\":\"pg2@example.com\"}");
  auto second_message = first.wait_for_message("pg2@example.com");
  const auto from = started.body.find("flow_id\":\"") + 10;
  const std::string flow_id = started.body.substr(from, started.body.find('"', from) - from);
  auto in =
      second.client().post_json("/v1/otp/verify", "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" +
                                                      second_message.code + "\"}");
  EXPECT_EQ(in.status, 200) << in.body;
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

// Stateful link tokens in Redis, shared by two servers: one redeem wins across both.
TEST(Redis, StatefulTokensInRedisRedeemOnceAcrossTwoServers) {
  TempDir shared_keys;
  const std::string core = PostgresServer::shared().fresh_database();
  TestConfig config;
  config.token_plugin = "stateful";
  config.token_config = "{ store: \"" + RedisServer::shared().url() + "\" }";
  config.outbox_store = core;  // flows must be shared too
  config.users_config =
      "{ connector: postgresql, database: \"" + PostgresServer::shared().fresh_database() + "\" }";
  config.keys_dir = shared_keys.path().string();
  TempDir shared_outbox;  // either server's worker may deliver the message
  config.outbox_dir = shared_outbox.path().string();
  TestServer first(config);
  TestServer second(config);
  ASSERT_EQ(
      first.client().post_json("/v1/magic-links", "{\"identifier\":\"redis@example.com\"}").status,
      202);
  auto message = first.wait_for_message("redis@example.com");
  ASSERT_EQ(message.token.size(), 43u);
  EXPECT_EQ(second.client()
                .get("/v1/magic-links/verify?token=" + message.token, {{"Accept", "text/html"}})
                .status,
            200)
      << "the other server sees the token and consumes nothing";
  EXPECT_EQ(redeem_on_both(first, second, message.token), 1);
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

// Stateless links across instances: each server's replay cache is its own, but every link is
// bound to a flow in the shared database that completes atomically, so it still redeems once.
void expect_jwt_links_to_redeem_once_across_two_servers(const std::string& token_call_timeout) {
  TempDir shared_keys, shared_outbox;
  TestConfig config;
  config.token_call_timeout = token_call_timeout;
  config.users_config =
      "{ connector: postgresql, database: \"" + PostgresServer::shared().fresh_database() + "\" }";
  config.outbox_store = PostgresServer::shared().fresh_database();
  config.keys_dir = shared_keys.path().string();  // the jwt key too
  config.outbox_dir = shared_outbox.path().string();
  TestServer first(config);
  TestServer second(config);
  ASSERT_EQ(
      first.client().post_json("/v1/magic-links", "{\"identifier\":\"jwt@example.com\"}").status,
      202);
  auto message = first.wait_for_message("jwt@example.com");
  ASSERT_EQ(message.token.rfind("eyJ", 0), 0u) << "a JWT";
  EXPECT_EQ(redeem_on_both(first, second, message.token), 1);
}

TEST(Postgres, JwtLinksRedeemOnceAcrossTwoServersSharingTheFlows) {
  expect_jwt_links_to_redeem_once_across_two_servers("");
}

TEST(Postgres, JwtLinksRedeemOnceAcrossTwoServersWithTokenCallsOnTheRequestsThread) {
  // The plugin's calls run on each server's request threads, with no deadline thread between.
  expect_jwt_links_to_redeem_once_across_two_servers("0s");
}

}  // namespace
}  // namespace linkgate::testing
