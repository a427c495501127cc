// The refusals of http-api.md over HTTP: rate limits (in memory and shared through Redis),
// trusted proxies, sessions revoked across instances, and the audit log.

#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <thread>

#include "support/json_fields.h"
#include "support/raw_connection.h"
#include "support/redis_server.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

std::vector<Poco::JSON::Object::Ptr> audit_lines(const TestServer& server) {
  std::ifstream in(server.dir().file("audit.log"));
  std::vector<Poco::JSON::Object::Ptr> out;
  for (std::string line; std::getline(in, line);) out.push_back(json(line));
  return out;
}

TEST(RateLimits, PerIdentifierAlikeForUsersAndStrangers) {
  TestConfig config;
  config.signup = "false";
  config.rate_limits = "{ per_identifier: 3/15m, per_client: 1000/1m, resend_cooldown: 0s }";
  TestServer server(config);
  ASSERT_TRUE(server.runtime().users().create({sdk::AddressKind::email, "known@example.com"}).ok());
  for (const char* who : {"known@example.com", "stranger@example.com"}) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body(who)).status, 202) << who;
    }
    auto limited = server.client().post_json("/v1/magic-links", start_body(who));
    EXPECT_EQ(limited.status, 429) << who;
    EXPECT_EQ(field(limited.body, "error"), "rate_limited");
    const int retry_after = std::stoi(limited.header("retry-after"));
    EXPECT_GT(retry_after, 0);
    EXPECT_LE(retry_after, 15 * 60);
    // The normalised identifier is limited, not the spelling.
    EXPECT_EQ(server.client()
                  .post_json("/v1/magic-links", start_body(std::string(" ") + who + " "))
                  .status,
              429);
  }
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("other@example.com")).status,
            202);
}

TEST(RateLimits, ResendCooldownPerIdentifier) {
  TestConfig config;
  config.rate_limits = "{ resend_cooldown: 30s, per_client: 1000/1m }";
  TestServer server(config);
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("a@example.com")).status, 202);
  auto again = server.client().post_json("/v1/magic-links", start_body("a@example.com"));
  EXPECT_EQ(again.status, 429);
  EXPECT_GT(std::stoi(again.header("retry-after")), 25);
  EXPECT_LE(std::stoi(again.header("retry-after")), 30);
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("b@example.com")).status, 202);
  server.wait_for_message("b@example.com");
  server.wait_for_message("a@example.com");
  EXPECT_EQ(server.messages_for("a@example.com"), 1u);
}

// The finding: with per_client 5/1m a 429 said Retry-After: 66. Now it never exceeds the
// window, and a client that waits exactly Retry-After gets in (both stores).
TEST(RateLimits, AClientThatWaitsExactlyRetryAfterGetsIn) {
  for (const bool redis : {false, true}) {
    TestConfig config;
    config.rate_limits = "{ per_client: 5/3s, per_identifier: 1000/1m, resend_cooldown: 0s }";
    if (redis) config.security_store = RedisServer::shared().url();
    TestServer server(config);
    const std::string who = redis ? "r@example.com" : "m@example.com";
    for (int round = 0; round < 2; ++round) {
      int admitted = 0;
      Reply limited;
      for (int i = 0; i < 8; ++i) {
        auto r = server.client().post_json("/v1/magic-links", start_body(who));
        if (r.status == 202) ++admitted;
        if (r.status == 429) {
          limited = r;
          break;
        }
      }
      // Then the start after the wait took one of the slots the aged-out events left.
      if (round == 0) {
        EXPECT_EQ(admitted, 5) << redis;
      } else {
        EXPECT_LE(admitted, 4) << redis;
      }
      ASSERT_EQ(limited.status, 429) << redis;
      const int retry_after = std::stoi(limited.header("retry-after"));
      EXPECT_GE(retry_after, 1);
      EXPECT_LE(retry_after, 3);
      std::this_thread::sleep_for(std::chrono::seconds(retry_after));
      EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body(who)).status, 202)
          << "waited " << retry_after << " s, redis " << redis;
    }
  }
}

// Five wrong codes per flow, but a new flow every few minutes: the issue counted ~2,400 guesses a
// day for one address. Now at most wrong_codes (default 10/24h) per identifier, across flows.
TEST(RateLimits, WrongCodesAcrossFlowsAreCappedPerIdentifierAndTheLinkStillWorks) {
  TestConfig config;
  config.rate_limits = "{ per_identifier: 100/1m, per_client: 1000/1m, resend_cooldown: 0s }";
  TestServer server(config);
  HttpClient c = server.client();
  const std::string who = "guessed@example.com";
  std::string flow_id;
  TestServer::Delivered message;
  int wrong_answers = 0;
  for (int flow = 0; flow < 3; ++flow) {  // 4 + 4 + 2 = the default 10
    flow_id = field(c.post_json("/v1/magic-links", start_body(who)).body, "flow_id");
    message = server.wait_for_message(who, static_cast<std::size_t>(flow));
    const std::string wrong = message.code == "000000" ? "111111" : "000000";
    for (int i = 0; i < (flow < 2 ? 4 : 2); ++i) {
      auto r = c.post_json("/v1/otp/verify",
                           "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + wrong + "\"}");
      wrong_answers += r.status == 400 ? 1 : 0;
    }
  }
  EXPECT_EQ(wrong_answers, 10);
  auto locked = c.post_json("/v1/otp/verify",
                            "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + message.code + "\"}");
  EXPECT_EQ(locked.status, 400) << "the eleventh guess is refused, even the right code";
  EXPECT_EQ(field(locked.body, "error"), "invalid_token");
  // The link of the same flow still signs in.
  auto link = c.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(link.status, 200) << link.body;
  bool audited = false;
  for (const auto& line : audit_lines(server)) {
    if (line->optValue<std::string>("reason", "") == "wrong_codes_limit") audited = true;
  }
  EXPECT_TRUE(audited) << "the audit log says codes were refused for the identifier";
  // Another identifier's codes are untouched.
  auto other =
      field(c.post_json("/v1/magic-links", start_body("other@example.com")).body, "flow_id");
  auto theirs = server.wait_for_message("other@example.com");
  EXPECT_EQ(c.post_json("/v1/otp/verify",
                        "{\"flow_id\":\"" + other + "\",\"code\":\"" + theirs.code + "\"}")
                .status,
            200);
}

// At the attacker's pace: 40 wrong guesses at once. The flow lets 20 through (max_attempts);
// each of those is counted against the identifier's cap of 10 before it is compared, so exactly
// 10 are judged and exactly 10 refused unjudged, however they interleave.
TEST(RateLimits, FortyParallelGuessesGetExactlyTheWrongCodesCapJudged) {
  TestConfig config;
  config.otp = "{ length: 6, max_attempts: 20 }";
  TestServer server(config);
  const std::string flow_id =
      field(server.client().post_json("/v1/magic-links", start_body("burst@example.com")).body,
            "flow_id");
  auto message = server.wait_for_message("burst@example.com");
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      char guess[16];
      std::snprintf(guess, sizeof guess, "%06d", 900000 + i);
      if (message.code == guess) std::snprintf(guess, sizeof guess, "%06d", 800000 + i);
      auto r = server.client().post_json(
          "/v1/otp/verify", "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + guess + "\"}");
      refused += r.status == 400 ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 40);
  int judged = 0, locked = 0;
  for (const auto& line : audit_lines(server)) {
    const std::string reason = line->optValue<std::string>("reason", "");
    judged += reason == "wrong_code" ? 1 : 0;
    locked += reason == "wrong_codes_limit" ? 1 : 0;
  }
  EXPECT_EQ(locked, 10);
  EXPECT_LE(judged, 10);  // the last judged ones may be reported as the flow's end instead
}

TEST(RateLimits, PerClientAddressTrustsForwardedForOnlyFromTrustedProxies) {
  for (bool trusted : {false, true}) {
    TestConfig config;
    config.rate_limits = "{ per_client: 3/1m, per_identifier: 1000/1m, resend_cooldown: 0s }";
    if (trusted) config.server_extra = "  trusted_proxies: [127.0.0.1]\n";
    TestServer server(config);
    auto start = [&](const std::string& who, const std::string& forwarded) {
      return server.client()
          .post_json("/v1/magic-links", start_body(who), {{"X-Forwarded-For", forwarded}})
          .status;
    };
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(start("p" + std::to_string(i) + "@example.com", "198.51.100.1"), 202);
    EXPECT_EQ(start("p9@example.com", "198.51.100.1"), 429) << "trusted=" << trusted;
    // A client behind a trusted proxy has its own budget; an untrusted peer cannot forge one.
    EXPECT_EQ(start("q@example.com", "10.9.9.9, 198.51.100.2"), trusted ? 202 : 429);
  }
}

// A start sent through a proxy at 127.0.0.1 that appends its own X-Forwarded-For line (as
// many do) after whatever lines the client sent; returns the status.
int start_through_proxy(const TestServer& server, const std::string& who,
                        const std::vector<std::string>& client_lines,
                        const std::string& proxy_line) {
  const std::string body = start_body(who);
  std::string head =
      "POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Content-Type: application/json\r\n";
  for (const auto& line : client_lines) head += "X-Forwarded-For: " + line + "\r\n";
  head += "X-Forwarded-For: " + proxy_line + "\r\n";
  const std::string base = server.base_url();
  RawConnection c("127.0.0.1", std::stoi(base.substr(base.rfind(':') + 1)));
  c.send(head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto answer = c.receive(std::chrono::milliseconds(2000));
  return answer.size() > 12 ? std::stoi(answer.substr(9, 3)) : 0;
}

TEST(RateLimits, ASpoofedForwardedForLineBuysNoFreshBudget) {
  TestConfig config;
  config.rate_limits = "{ per_client: 60/1m, per_identifier: 1000/1m, resend_cooldown: 0s }";
  config.server_extra = "  trusted_proxies: [127.0.0.0/8]\n";
  TestServer server(config);
  int accepted = 0;
  int limited = 0;
  for (int i = 0; i < 75; ++i) {
    const int status = start_through_proxy(
        server, "spoof" + std::to_string(i) + "@example.com",
        {"6.6.6." + std::to_string(i), i % 2 ? "<script>" : "10.0.0." + std::to_string(i)},
        "203.0.113.9");
    accepted += status == 202;
    limited += status == 429;
  }
  EXPECT_EQ(accepted, 60) << "the proxy's own line names the client: one budget";
  EXPECT_EQ(limited, 15);
  for (const auto& line : audit_lines(server)) {
    if (!line->has("client")) continue;
    EXPECT_EQ(line->getValue<std::string>("client"), "203.0.113.9");
  }
}

TEST(RateLimits, RedeemsArePerClientToo) {
  TestConfig config;
  config.rate_limits = "{ per_client: 4/1m, per_identifier: 1000/1m, resend_cooldown: 0s }";
  TestServer server(config);
  HttpClient c = server.client();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(
        c.post_json("/v1/magic-links/verify", "{\"token\":\"x" + std::to_string(i) + "\"}").status,
        400);
  }
  EXPECT_EQ(c.post_json("/v1/otp/verify", "{\"flow_id\":\"f\",\"code\":\"123456\"}").status, 429);
}

TEST(RateLimits, SmsBudgetCapsAllTextsTogether) {
  TestConfig config;
  config.rate_limits = "{ sms_budget: 2/1h, per_client: 1000/1m, resend_cooldown: 0s }";
  TestServer server(config);
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("+14155550101")).status, 202);
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("+14155550102")).status, 202);
  auto third = server.client().post_json("/v1/magic-links", start_body("+14155550103"));
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("mail@example.com")).status,
            202)
      << "e-mail is not charged to the SMS budget";
}

TEST(SharedStore, LimitsAndLogoutsHoldAcrossInstancesSharingRedis) {
  TempDir shared_keys;
  TestConfig config;
  config.security_store = RedisServer::shared().url();
  config.keys_dir = shared_keys.path().string();
  config.rate_limits = "{ per_identifier: 2/15m, per_client: 1000/1m, resend_cooldown: 0s }";
  TestServer a(config), b(config);
  EXPECT_EQ(a.client().post_json("/v1/magic-links", start_body("r@example.com")).status, 202);
  EXPECT_EQ(b.client().post_json("/v1/magic-links", start_body("r@example.com")).status, 202);
  EXPECT_EQ(a.client().post_json("/v1/magic-links", start_body("r@example.com")).status, 429);

  HttpClient browser = a.client();
  browser.post_json("/v1/magic-links", start_body("s@example.com"));
  auto message = a.wait_for_message("s@example.com");
  auto in = browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::string token = field(in.body, "access_token");
  const std::map<std::string, std::string> bearer{{"Authorization", "Bearer " + token}};
  EXPECT_EQ(b.client().get("/v1/session", bearer).status, 200);
  EXPECT_EQ(a.client().request("POST", "/v1/session/logout", "", "", bearer).status, 204);
  EXPECT_EQ(b.client().get("/v1/session", bearer).status, 401)
      << "a logout on one instance ends the session on every instance";
}

// Signs @p address in through @p server's link and returns the bearer header of its session.
std::map<std::string, std::string> signed_in_bearer(TestServer& server,
                                                    const std::string& address) {
  HttpClient browser = server.client();
  browser.post_json("/v1/magic-links", start_body(address));
  auto message = server.wait_for_message(address);
  auto in = browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(in.status, 200) << in.body;
  return {{"Authorization", "Bearer " + field(in.body, "access_token")}};
}

// Two instances on one SQLite database (security.store: memory): each remembers a session it
// found not revoked (session/revocation_watch.h), and a logout on either still ends it on both
// at once — the counter beside the database moved.
TEST(SharedStore, ALogoutHoldsAcrossInstancesSharingOneSqliteDatabase) {
  TempDir shared;
  TestConfig config;
  config.keys_dir = shared.file("keys");
  config.outbox_store = "sqlite:" + shared.file("linkgate.db");
  config.outbox_dir = shared.file("outbox");  // either instance's worker may deliver the link
  config.users_config = "{ database: " + shared.file("users.db") + " }";
  TestServer a(config), b(config);
  const auto bearer = signed_in_bearer(a, "two@example.com");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(b.client().get("/v1/session", bearer).status, 200);
    ASSERT_EQ(a.client().get("/v1/session", bearer).status, 200);
  }
  EXPECT_TRUE(std::filesystem::exists(shared.file("linkgate.db-revocations")));
  EXPECT_EQ(a.client().request("POST", "/v1/session/logout", "", "", bearer).status, 204);
  EXPECT_EQ(b.client().get("/v1/session", bearer).status, 401)
      << "the other instance had remembered the session; the logout ends it there at once";
  EXPECT_EQ(a.client().get("/v1/session", bearer).status, 401);
}

// Two instances on one SQLite database, the second started after the first had written the
// file alone (keeping the flows a start supersedes in memory, with no identifier index on the
// file): a newer link asked for on either instance still ends the one asked for on the other.
TEST(SharedStore, ANewerLinkFromEitherInstanceSupersedesTheOnesBefore) {
  TempDir shared;
  TestConfig config;
  config.keys_dir = shared.file("keys");
  config.outbox_store = "sqlite:" + shared.file("linkgate.db");
  config.outbox_dir = shared.file("outbox");
  config.users_config = "{ database: " + shared.file("users.db") + " }";
  auto redeem = [](TestServer& server, const std::string& token) {
    return server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  };
  TestServer a(config);
  ASSERT_EQ(a.client().post_json("/v1/magic-links", start_body("both@example.com")).status, 202);
  const auto first = a.wait_for_message("both@example.com");
  TestServer b(config);
  ASSERT_EQ(b.client().post_json("/v1/magic-links", start_body("both@example.com")).status, 202);
  const auto second = a.wait_for_message("both@example.com", 1);
  ASSERT_EQ(a.client().post_json("/v1/magic-links", start_body("both@example.com")).status, 202);
  const auto third = a.wait_for_message("both@example.com", 2);
  const auto old = redeem(b, first.token);
  EXPECT_EQ(old.status, 400);
  EXPECT_NE(old.body.find("newer link"), std::string::npos) << old.body;
  const auto older = redeem(b, second.token);
  EXPECT_EQ(older.status, 400) << "b's link, superseded by a's newer one";
  EXPECT_NE(older.body.find("newer link"), std::string::npos) << older.body;
  EXPECT_EQ(redeem(b, third.token).status, 200);
}

// A server joins the database's writers before it listens, not at its first start (where, on a
// large database, the pending flows' load would hold up every start behind it).
TEST(SharedStore, AServerJoinsTheWritersBeforeItsFirstStart) {
  TempDir shared;
  TestConfig config;
  config.outbox_store = "sqlite:" + shared.file("linkgate.db");
  TestServer server(config);
  EXPECT_TRUE(std::filesystem::exists(shared.file("linkgate.db-writers")));
}

// A counter file another user could write (and so set back) is not used: the server reads the
// revocation store on every check instead, and a logout still ends the session.
TEST(SharedStore, ACounterFileOthersMayWriteIsNotUsed) {
  TempDir shared;
  const auto counter = shared.file("linkgate.db-revocations");
  { std::ofstream(counter) << std::string(4096, '\0'); }
  std::filesystem::permissions(counter, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  TestConfig config;
  config.outbox_store = "sqlite:" + shared.file("linkgate.db");
  TestServer server(config);
  const auto bearer = signed_in_bearer(server, "w@example.com");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(server.client().get("/v1/session", bearer).status, 200);
  EXPECT_EQ(server.client().request("POST", "/v1/session/logout", "", "", bearer).status, 204);
  EXPECT_EQ(server.client().get("/v1/session", bearer).status, 401);
  std::ifstream in_file(counter, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in_file)), {});
  EXPECT_EQ(bytes, std::string(4096, '\0')) << "never mapped, never moved";
}

// The finding: with the default store a revoked access token verified again after a
// restart. Revocations and the JWT replay cache now live in the core's database.
TEST(SharedStore, ALogoutAndAUsedLinkSurviveARestartWithoutRedis) {
  TestServer server;  // security.store: memory, the default
  HttpClient browser = server.client();
  browser.post_json("/v1/magic-links", start_body("restart@example.com"));
  auto message = server.wait_for_message("restart@example.com");
  auto in = browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::map<std::string, std::string> bearer{
      {"Authorization", "Bearer " + field(in.body, "access_token")}};
  EXPECT_EQ(server.client().get("/v1/session", bearer).status, 200);
  EXPECT_EQ(server.client().request("POST", "/v1/session/logout", "", "", bearer).status, 204);
  EXPECT_EQ(server.client().get("/v1/session", bearer).status, 401);

  server.restart();
  EXPECT_EQ(server.client().get("/v1/session", bearer).status, 401)
      << "the revocation outlives the process";
  auto again =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(again.status, 400) << "the link stays used";
  EXPECT_EQ(field(again.body, "error"), "used_token");
}

// Production Redis takes TLS and a password: the limits, revocations and stateful tokens work
// through rediss://user:password@host with the deployment's CA.
TEST(SharedStore, ARedisBehindTlsAndAnAclPasswordCarriesLimitsLogoutsAndTokens) {
  TempDir shared_keys;
  TestConfig config;
  const std::string url = RedisServer::secured().url();
  config.security_store = "\"" + url + "\"";
  config.token_plugin = "stateful";
  config.token_config = "{ store: \"" + url + "\" }";
  config.keys_dir = shared_keys.path().string();
  config.rate_limits = "{ per_identifier: 2/15m, per_client: 1000/1m, resend_cooldown: 0s }";
  TestServer a(config), b(config);
  EXPECT_EQ(a.client().post_json("/v1/magic-links", start_body("t@example.com")).status, 202);
  EXPECT_EQ(b.client().post_json("/v1/magic-links", start_body("t@example.com")).status, 202);
  EXPECT_EQ(a.client().post_json("/v1/magic-links", start_body("t@example.com")).status, 429);

  HttpClient browser = a.client();
  browser.post_json("/v1/magic-links", start_body("u@example.com"));
  auto message = a.wait_for_message("u@example.com");
  // The stateful token lives in the TLS Redis (the flow in this instance's own database).
  auto in = a.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::map<std::string, std::string> bearer{
      {"Authorization", "Bearer " + field(in.body, "access_token")}};
  EXPECT_EQ(a.client().request("POST", "/v1/session/logout", "", "", bearer).status, 204);
  EXPECT_EQ(b.client().get("/v1/session", bearer).status, 401);
}

TEST(SharedStore, AWrongRedisPasswordStopsTheStartWithoutShowingIt) {
  TestConfig config;
  std::string url = RedisServer::secured().url();
  url.replace(url.find("p%40ss"), 6, "WRONG1");
  config.security_store = "\"" + url + "\"";
  std::string refusal;
  try {
    TestServer refused(config);
  } catch (const std::exception& e) {
    refusal = e.what();
  }
  EXPECT_NE(refusal.find("authentication refused"), std::string::npos) << refusal;
  EXPECT_EQ(refusal.find("WRONG1"), std::string::npos) << refusal;
}

TEST(SharedStore, AnUnreachableRedisIsRefusedAtStart) {
  TempDir dir;
  TestConfig config;
  config.security_store = "redis://127.0.0.1:1";
  config::Diagnostics d;
  auto settings = config::load_settings_text(config.yaml(dir), "t.yaml", d);
  ASSERT_TRUE(settings) << d.to_string();
  try {
    server::Server server(*settings, wiring::SharedState::create(*settings));
    FAIL() << "a shared store that cannot be reached must not be replaced by memory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("security.store"), std::string::npos) << e.what();
  }
}

TEST(AuditLog, OneLinePerSecurityEventAndNoSecrets) {
  TestConfig config;
  config.rate_limits = "{ per_identifier: 2/15m, per_client: 1000/1m, resend_cooldown: 0s }";
  TestServer server(config);
  HttpClient browser = server.client();
  auto started = browser.post_json("/v1/magic-links", start_body("audit@example.com"));
  const std::string flow_id = field(started.body, "flow_id");
  auto message = server.wait_for_message("audit@example.com");
  browser.post_json("/v1/otp/verify", "{\"flow_id\":\"" + flow_id + "\",\"code\":\"000000\"}");
  auto in = browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(in.status, 200);
  browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  browser.post_json("/v1/magic-links", start_body("audit@example.com"));
  browser.post_json("/v1/magic-links", start_body("audit@example.com"));  // the third: limited
  browser.request("POST", "/v1/session/logout", "", "",
                  {{"Authorization", "Bearer " + field(in.body, "access_token")}});

  auto lines = audit_lines(server);
  std::vector<std::string> events;
  for (const auto& l : lines) {
    events.push_back(l->getValue<std::string>("event") +
                     (l->has("reason") ? "/" + l->getValue<std::string>("reason") : ""));
    EXPECT_TRUE(l->has("time"));
    EXPECT_EQ(l->getValue<std::string>("client"), "127.0.0.1");
  }
  const std::vector<std::string> expected{
      "link_issued", "rejected/wrong_code",         "link_redeemed",  "rejected/used",
      "link_issued", "rate_limited/per_identifier", "session_revoked"};
  EXPECT_EQ(events, expected);
  EXPECT_EQ(lines[0]->getValue<std::string>("flow_id"), flow_id);
  EXPECT_EQ(lines[0]->getValue<std::string>("identifier_hash").size(), 64u);
  EXPECT_EQ(lines[0]->getValue<std::string>("identifier_hash"),
            lines[2]->getValue<std::string>("identifier_hash"));
  std::ifstream in_file(server.dir().file("audit.log"));
  const std::string text((std::istreambuf_iterator<char>(in_file)), {});
  for (const std::string& secret : {message.token, message.code, std::string("audit@example.com"),
                                    field(in.body, "access_token")}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

TEST(RequestIds, EveryAnswerCarriesOneAndTheAuditLogNamesIt) {
  TestConfig config;
  config.server_extra = "  trusted_proxies: [127.0.0.1]\n";
  TestServer server(config);
  auto made = server.client().post_json("/v1/magic-links", start_body("ids@example.com"));
  ASSERT_EQ(made.status, 202);
  const std::string id = made.header("x-request-id");
  EXPECT_EQ(id.size(), 22u);
  EXPECT_EQ(audit_lines(server).back()->getValue<std::string>("request_id"), id);
  // From a trusted proxy, its id is kept, in the answer and in the audit log.
  auto proxied = server.client().post_json("/v1/magic-links", start_body("ids@example.com"),
                                           {{"X-Request-Id", "edge-7f3a:1"}});
  EXPECT_EQ(proxied.header("x-request-id"), "edge-7f3a:1");
  EXPECT_EQ(audit_lines(server).back()->getValue<std::string>("request_id"), "edge-7f3a:1");
  // Errors carry one too.
  EXPECT_EQ(server.client().get("/nowhere").header("x-request-id").size(), 22u);
}

TEST(Csrf, FormsNeedTheirPagesTokenAndOtherSitesCannotPost) {
  TestServer server;
  HttpClient browser = server.client();
  const std::string form = "identifier=" + url_encode("csrf@example.com");
  // No token, a made-up token, and a token from another browser's page: all refused.
  EXPECT_EQ(browser.post_form("/v1/magic-links", form).status, 403);
  EXPECT_EQ(browser.post_form("/v1/magic-links", form + "&csrf=forged").status, 403);
  HttpClient other = server.client();
  auto others_page = other.get("/", {{"Accept", "text/html"}});
  const std::string others_token = csrf_of(others_page.body);
  ASSERT_FALSE(others_token.empty());
  auto page = browser.get("/", {{"Accept", "text/html"}});
  ASSERT_NE(csrf_of(page.body), others_token);
  auto forged = browser.post_form("/v1/magic-links", form + "&csrf=" + others_token);
  EXPECT_EQ(forged.status, 403);
  EXPECT_NE(forged.body.find("Reload the page"), std::string::npos);
  EXPECT_EQ(server.messages_for("csrf@example.com"), 0u);
  // The page's own token works; a cross-site Origin does not, even with the token.
  EXPECT_EQ(browser
                .post_form("/v1/magic-links", form + "&csrf=" + csrf_of(page.body),
                           {{"Origin", "https://evil.example.com"}})
                .status,
            403);
  EXPECT_EQ(browser
                .post_form("/v1/magic-links", form + "&csrf=" + csrf_of(page.body),
                           {{"Origin", server.base_url()}})
                .status,
            202);
  EXPECT_EQ(server.client()
                .post_json("/v1/magic-links", start_body("csrf@example.com"),
                           {{"Origin", "https://evil.example.com"}})
                .status,
            403);
  // The CSRF cookie itself is HttpOnly and SameSite.
  EXPECT_NE(others_page.header("set-cookie").find("lg_csrf="), std::string::npos);
  EXPECT_NE(others_page.header("set-cookie").find("HttpOnly; SameSite=Lax"), std::string::npos);
}

TEST(Csrf, APlantedCookieIsReplacedAndItsValueGetsNoToken) {
  TestServer server;
  // A sibling domain planted `lg_csrf` with a value it chose, hoping the page hands out the
  // matching form token.
  HttpClient victim = server.client();
  const std::string planted = "attacker-chosen-value-0123456789";
  victim.cookies["lg_csrf"] = planted;
  victim.use_cookies = true;
  auto page = victim.get("/", {{"Accept", "text/html"}});
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.header("set-cookie").find("lg_csrf="), std::string::npos)
      << "the planted value is replaced by one this server signed";
  EXPECT_NE(victim.cookies["lg_csrf"], planted);
  // The attacker's forged post carries the planted cookie and the token the page showed.
  HttpClient attacker = server.client();
  attacker.cookies["lg_csrf"] = planted;
  const std::string form = "identifier=" + url_encode("planted@example.com");
  EXPECT_EQ(attacker.post_form("/v1/magic-links", form + "&csrf=" + csrf_of(page.body)).status,
            403);
  EXPECT_EQ(server.messages_for("planted@example.com"), 0u);
  // The real browser, with the cookie it was given, still signs in by form.
  EXPECT_EQ(victim.post_form("/v1/magic-links", form + "&csrf=" + csrf_of(page.body)).status, 202);
}

TEST(Keys, ASecretOrKeyOthersCanReadIsRefusedAtStart) {
  TempDir keys;
  TestConfig config;
  config.keys_dir = keys.path().string();
  { TestServer first(config); }  // makes the server secret, the link key and a session key
  std::vector<std::string> files = {keys.file("server.secret"), keys.file("link.pem")};
  for (const auto& entry : std::filesystem::directory_iterator(keys.path())) {
    if (entry.path().filename().string().rfind("session-", 0) == 0) {
      files.push_back(entry.path().string());
    }
  }
  ASSERT_EQ(files.size(), 3u);
  for (const auto& file : files) {
    for (auto mode : {std::filesystem::perms::group_read, std::filesystem::perms::others_read}) {
      std::filesystem::permissions(file, mode, std::filesystem::perm_options::add);
      std::string refusal;
      try {
        TestServer refused(config);
      } catch (const std::exception& e) {
        refusal = e.what();
      }
      EXPECT_NE(refusal.find(file), std::string::npos) << file << ": " << refusal;
      EXPECT_NE(refusal.find("chmod 600"), std::string::npos) << refusal;
      std::filesystem::permissions(file, mode, std::filesystem::perm_options::remove);
    }
  }
  TestServer fine(config);  // private again: it starts
  EXPECT_EQ(fine.client().get("/healthz").status, 200);
}

TEST(Csrf, TheSignOutButtonCarriesItsTokenAndAForgedOneEndsNothing) {
  TestServer server;
  HttpClient browser = server.client();
  browser.post_json("/v1/magic-links", start_body("out@example.com"));
  auto message = server.wait_for_message("out@example.com");
  ASSERT_EQ(
      browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}").status,
      200);
  auto signed_in = browser.get("/signed-in", {{"Accept", "text/html"}});
  ASSERT_EQ(signed_in.status, 200);
  EXPECT_EQ(browser.post_form("/v1/session/logout", "csrf=forged").status, 403);
  EXPECT_EQ(browser.get("/v1/session").status, 200) << "a forged sign-out ends nothing";
  EXPECT_EQ(browser.post_form("/v1/session/logout", "csrf=" + csrf_of(signed_in.body)).status, 303);
  EXPECT_EQ(browser.get("/v1/session").status, 401);
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

// The probability that a sample of @p a is slower than one of @p b (0.5: indistinguishable).
double probability_slower(const std::vector<double>& a, const std::vector<double>& b) {
  double wins = 0;
  for (double x : a) {
    for (double y : b) wins += x > y ? 1 : (x == y ? 0.5 : 0);
  }
  return wins / static_cast<double>(a.size() * b.size());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(Enumeration, UsersAndStrangersTakeTheSameTime) {
  TestConfig config;
  config.signup = "false";
  TestServer server(config);
  ASSERT_TRUE(server.runtime().users().create({sdk::AddressKind::email, "known@example.com"}).ok());
  HttpClient c = server.client();
  c.use_cookies = false;
  // Each request is timed on its own: the work the previous one left to the outbox worker (a
  // user's message is sent, a stranger's only discarded) is given time to finish first, so it
  // is not charged to whichever request comes next. Finished means past the outbox's count too:
  // on a VM whose system calls cost a microsecond, a user's delivery (its file, the filesystem
  // sync, the commit of its outcome and the checkpoint after) still weighed on the request after
  // it 5 ms after the count reached zero (P(known slower) 0.40-0.43, the stranger more often
  // second in a pair after a user); 20 ms lets it end (0.47-0.49). What that load does to back-to-
  // back requests is bench/http/enumeration.sh's to measure (docs/security.md).
  auto timed = [&](const char* who) {
    for (int i = 0; i < 1000 && server.runtime().outbox().depth().value() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto start = std::chrono::steady_clock::now();
    auto r = c.post_json("/v1/magic-links", start_body(who));
    EXPECT_EQ(r.status, 202);
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
        .count();
  };
  for (int i = 0; i < 40; ++i) timed(i % 2 ? "known@example.com" : "stranger@example.com");
  std::vector<double> known, stranger;
  // Interleaved in pairs, who goes first drawn at random, so noise falls alike: with a fixed
  // pattern, any periodic cost of the server (a batch of ES256 presignatures computed every
  // sixteenth signature) falls on the same side every time and reads as a difference.
  std::mt19937 coin(20261202);
  for (int i = 0; i < 400; ++i) {
    if (coin() % 2 == 0) {
      known.push_back(timed("known@example.com"));
      stranger.push_back(timed("stranger@example.com"));
    } else {
      stranger.push_back(timed("stranger@example.com"));
      known.push_back(timed("known@example.com"));
    }
  }
  const double p = probability_slower(known, stranger);
  const double ratio = median(known) / median(stranger);
  std::cout << "400 + 400 interleaved: median known " << median(known) << " us, stranger "
            << median(stranger) << " us, median ratio " << ratio << ", P(known slower) " << p
            << "\n";
  EXPECT_GT(p, 0.4);
  EXPECT_LT(p, 0.6);
  EXPECT_GT(ratio, 0.85);
  EXPECT_LT(ratio, 1.18);
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

TEST(NotifyUnknown, AStrangersAddressIsToldAndGetsNoLinkOrCode) {
  TestConfig config;
  config.signup = "false";
  config.security_extra = "  notify_unknown: true\n";
  TestServer server(config);
  ASSERT_TRUE(server.runtime().users().create({sdk::AddressKind::email, "known@example.com"}).ok());
  auto a = server.client().post_json("/v1/magic-links", start_body("stranger@example.com"));
  auto b = server.client().post_json("/v1/magic-links", start_body("known@example.com"));
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(json(a.body)->getNames(), json(b.body)->getNames());
  auto notice = server.wait_for_message("stranger@example.com");
  EXPECT_EQ(notice.subject, "Sign-in attempt at linkgate");
  EXPECT_NE(notice.text.find("no account"), std::string::npos);
  EXPECT_TRUE(notice.link.empty());
  EXPECT_TRUE(notice.code.empty());
  EXPECT_EQ(notice.text.find("http"), std::string::npos) << "nothing to click";
  EXPECT_FALSE(server.wait_for_message("known@example.com").link.empty());
  // Never by SMS: a text costs money and a stranger's number is not ours to text.
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("+14155550123")).status, 202);
  EXPECT_EQ(server.wait_for_outbox("suppressed", 1), 1) << "recorded as not sent";
  EXPECT_EQ(server.wait_for_outbox("sent", 2), 2);
  EXPECT_EQ(server.runtime().outbox().depth().value(), 0) << "nothing left that could still go out";
  EXPECT_EQ(server.messages_for("+14155550123"), 0u);
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

// /metrics names routes, counts and failures; /readyz names what is down. Both can be moved off
// the public listener, or put behind a bearer token (server.admin).
TEST(Admin, AnAdminListenerServesMetricsAndReadinessAndThePublicOneDoesNot) {
  TestConfig config;
  config.server_extra = "  admin: { listen: [\"127.0.0.1:0\"] }\n";
  TestServer server(config);
  ASSERT_EQ(server.server().admin_ports().size(), 1u);
  HttpClient admin("http://127.0.0.1:" + std::to_string(server.server().admin_ports()[0]));
  HttpClient public_side = server.client();
  EXPECT_EQ(public_side.get("/metrics").status, 404);
  EXPECT_EQ(public_side.get("/readyz").status, 404);
  EXPECT_EQ(public_side.get("/healthz").status, 200);
  auto metrics = admin.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("linkgate_http_requests_total"), std::string::npos);
  EXPECT_EQ(admin.get("/readyz").status, 200);
  EXPECT_EQ(admin.get("/healthz").status, 200);
  // The admin side serves nothing else.
  EXPECT_EQ(admin.get("/").status, 404);
  EXPECT_EQ(admin.get("/.well-known/jwks.json").status, 404);
  EXPECT_EQ(admin.post_json("/v1/magic-links", start_body("a@example.com")).status, 404);
  EXPECT_EQ(public_side.post_json("/v1/magic-links", start_body("a@example.com")).status, 202);
}

// The admin side has its own loop, workers and connection count: with the public side full
// (max_connections held by idle sockets), monitoring still gets its answers.
TEST(Admin, MonitoringStillAnswersWhenThePublicSideIsFull) {
  TestConfig config;
  config.server_extra = "  max_connections: 200\n  admin: { listen: [\"127.0.0.1:0\"] }\n";
  TestServer server(config);
  const int port = server.server().ports()[0];
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawConnection>("127.0.1." + std::to_string(1 + i % 200), port));
  }
  for (int i = 0; i < 100 && server.server().connections().open < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server.server().connections().open, 200u);
  int public_status = 0;
  try {
    public_status = server.client().get("/healthz").status;
  } catch (const std::exception&) {
    public_status = -1;  // closed at accept
  }
  EXPECT_NE(public_status, 200) << "the public side is full";
  HttpClient admin("http://127.0.0.1:" + std::to_string(server.server().admin_ports()[0]));
  EXPECT_EQ(admin.get("/metrics").status, 200);
  EXPECT_EQ(admin.get("/readyz").status, 200);
}

TEST(Admin, ABearerTokenGuardsMetricsAndReadiness) {
  TempDir secrets;
  const std::string token_file = secrets.file("admin.token");
  const std::string token = "s3cret-admin-token-0123456789";
  std::ofstream(token_file) << token << "\n";
  std::filesystem::permissions(
      token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
  TestConfig config;
  config.server_extra = "  admin: { token_file: " + token_file + " }\n";
  {
    TestServer server(config);
    HttpClient c = server.client();
    for (const char* path : {"/metrics", "/readyz"}) {
      auto none = c.get(path);
      EXPECT_EQ(none.status, 401) << path;
      EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"linkgate-admin\"");
      EXPECT_EQ(field(none.body, "error"), "unauthorized");
      EXPECT_EQ(c.get(path, {{"Authorization", "Bearer " + token + "x"}}).status, 401) << path;
      EXPECT_EQ(c.get(path, {{"Authorization", "Bearer " + token.substr(1)}}).status, 401);
      EXPECT_EQ(c.get(path, {{"Authorization", "Basic " + token}}).status, 401) << path;
      EXPECT_EQ(c.get(path, {{"Authorization", "Bearer " + token}}).status, 200) << path;
    }
    EXPECT_EQ(c.get("/healthz").status, 200) << "liveness needs no token";
    EXPECT_EQ(c.post_json("/v1/magic-links", start_body("b@example.com")).status, 202);
  }
  // A token file others may read is refused, like every secret.
  std::filesystem::permissions(token_file, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  std::string refusal;
  try {
    TestServer refused(config);
  } catch (const std::exception& e) {
    refusal = e.what();
  }
  EXPECT_NE(refusal.find("chmod 600"), std::string::npos) << refusal;
}

TEST(Admin, ATokenInTheConfigAndASeparateListenerTogether) {
  TestConfig config;
  config.server_extra =
      "  admin: { listen: [\"127.0.0.1:0\"], token: \"a-token-of-twenty-chars\" }\n";
  TestServer server(config);
  HttpClient admin("http://127.0.0.1:" + std::to_string(server.server().admin_ports()[0]));
  EXPECT_EQ(admin.get("/metrics").status, 401);
  EXPECT_EQ(admin.get("/metrics", {{"Authorization", "Bearer a-token-of-twenty-chars"}}).status,
            200);
  EXPECT_EQ(
      server.client().get("/metrics", {{"Authorization", "Bearer a-token-of-twenty-chars"}}).status,
      404);
}

}  // namespace
}  // namespace linkgate::testing
