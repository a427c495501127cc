#include "config/settings_loader.h"

#include <gtest/gtest.h>

#include "server/server.h"

#include <fstream>

#include "support/temp_dir.h"
#include "support/test_config.h"

namespace linkgate::config {
namespace {

using linkgate::testing::TempDir;
using linkgate::testing::TestConfig;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string all_errors(const Diagnostics& d) {
  return d.to_string();
}

TEST(SettingsLoader, ReadsTheShippedDefault) {
  Diagnostics d;
  auto s = load_settings_file(std::string(LINKGATE_SOURCE_DIR) + "/configs/linkgate.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->token.name, "jwt");
  EXPECT_EQ(s->users.name, "sql");
  EXPECT_TRUE(s->signup);
  ASSERT_EQ(s->delivery.size(), 2u);
  EXPECT_EQ(s->delivery[0].name, "outbox");
  EXPECT_EQ(s->delivery[1].address_kind, sdk::AddressKind::phone);
  EXPECT_EQ(s->token_ttl, std::chrono::minutes(15));
  EXPECT_EQ(s->server.listen.front().port, 8080);
  EXPECT_EQ(s->outbox.store, "sqlite:data/outbox.db");
}

TEST(SettingsLoader, RemembersTheLineOfEachKeyForLaterMessages) {
  Diagnostics d;
  auto s = load_settings_text(
      "server: { listen: 127.0.0.1:0, public_base_url: http://x }\n"
      "token: { plugin: jwt }\n"
      "delivery:\n  - plugin: outbox\n    for: email\n"
      "users: { plugin: sql }\n"
      "outbox:\n  store: sqlite:/tmp/x.db\n",
      "t.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->line_of("outbox.store"), 8);
  EXPECT_EQ(s->line_of("delivery[0]"), 4);
  EXPECT_EQ(s->line_of("token.plugin"), 2);
  EXPECT_EQ(s->line_of("templates.dir"), 0) << "not written: no line";
}

TEST(SettingsLoader, ASelfReferencingAliasIsNotWalkedForEver) {
  // An anchor inside its own alias is a cycle in yaml-cpp's node graph (the fuzz corpus has
  // it): refused for the unknown key, without following the cycle.
  Diagnostics d;
  EXPECT_FALSE(load_settings_text("x: &loop [*loop]\n", "loop.yaml", d));
  EXPECT_NE(all_errors(d).find("x: unknown key"), std::string::npos) << all_errors(d);
}

TEST(SettingsLoader, AppliesContractDefaults) {
  TempDir dir;
  Diagnostics d;
  TestConfig config;
  config.rate_limits = "";
  auto s = load_settings_text(config.yaml(dir), "t.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->server.max_body_bytes, 16384);
  EXPECT_EQ(s->session.ttl, std::chrono::hours(1));
  EXPECT_EQ(s->session.audience, "linkgate");
  EXPECT_EQ(s->otp.max_attempts, 5);
  EXPECT_TRUE(s->verify.confirm_page);
  EXPECT_TRUE(s->verify.supersede_previous);
  EXPECT_FALSE(s->verify.require_same_browser);
  EXPECT_EQ(s->security.per_identifier, (Rate{5, std::chrono::minutes(15)}));
  EXPECT_EQ(s->security.resend_cooldown, std::chrono::seconds(30));
  EXPECT_EQ(s->security.wrong_codes, (Rate{10, std::chrono::hours(24)}));
  EXPECT_EQ(s->outbox.attempts, 8);
  EXPECT_EQ(s->outbox.backoff, (BackoffRange{std::chrono::seconds(2), std::chrono::minutes(10)}));
}

// An operator's tools run from any folder; with data_dir the file means the same files from
// all of them.
TEST(SettingsLoader, DataDirResolvesEveryRelativePathOfTheFileAgainstIt) {
  const std::string yaml = R"(
data_dir: ../var/lib/linkgate
server: { listen: 127.0.0.1:8080, public_base_url: http://127.0.0.1:8080,
          tls: { cert_file: tls/cert.pem, key_file: /etc/ssl/key.pem } }
plugins: { search_paths: [plugins, /usr/lib/linkgate/plugins] }
token: { plugin: jwt, config: { key_file: keys/link.pem } }
delivery: [ { plugin: outbox, for: email, config: { dir: outbox } } ]
users: { plugin: sql, config: { connector: sqlite, database: users.db } }
session: { signing_keys: { dir: keys } }
security: { secret_file: keys/server.secret }
outbox: { store: "sqlite:outbox.db" }
templates: { dir: /usr/share/linkgate/templates }
log: { audit_file: audit.log }
)";
  Diagnostics d;
  auto s = load_settings_text(yaml, "/etc/linkgate/linkgate.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->data_dir, "/etc/var/lib/linkgate");
  EXPECT_EQ(s->session.keys_dir, "/etc/var/lib/linkgate/keys");
  EXPECT_EQ(s->security.secret_file, "/etc/var/lib/linkgate/keys/server.secret");
  EXPECT_EQ(s->outbox.store, "sqlite:/etc/var/lib/linkgate/outbox.db");
  EXPECT_EQ(s->log.audit_file, "/etc/var/lib/linkgate/audit.log");
  EXPECT_EQ(s->server.tls_cert_file, "/etc/var/lib/linkgate/tls/cert.pem");
  EXPECT_EQ(s->server.tls_key_file, "/etc/ssl/key.pem");
  EXPECT_EQ(s->templates.dir, "/usr/share/linkgate/templates");
  EXPECT_EQ(s->plugin_search_paths, (std::vector<std::string>{"/etc/var/lib/linkgate/plugins",
                                                              "/usr/lib/linkgate/plugins"}));
  EXPECT_EQ(s->token.base_dir, "/etc/var/lib/linkgate");
  EXPECT_EQ(s->users.base_dir, "/etc/var/lib/linkgate");
  EXPECT_EQ(s->delivery.at(0).base_dir, "/etc/var/lib/linkgate");
}

TEST(SettingsLoader, WithoutDataDirRelativePathsStayWithTheWorkingDirectory) {
  Diagnostics d;
  auto s = load_settings_file(std::string(LINKGATE_SOURCE_DIR) + "/configs/linkgate.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->data_dir, "");
  EXPECT_EQ(s->session.keys_dir, "data/keys");
  EXPECT_EQ(s->users.base_dir, "");
}

TEST(SettingsLoader, APostgresOutboxAndAnEmptyDataDir) {
  TempDir dir;
  TestConfig config;
  config.outbox_store = "postgresql://u@127.0.0.1:5/db";
  config.extra = "data_dir: /srv/lg\n";
  Diagnostics d;
  auto s = load_settings_text(config.yaml(dir), "t.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->outbox.store, "postgresql://u@127.0.0.1:5/db");
  Diagnostics empty;
  EXPECT_FALSE(load_settings_text("data_dir: \"\"\n", "t.yaml", empty));
  EXPECT_NE(empty.to_string().find("data_dir: must name a folder"), std::string::npos)
      << empty.to_string();
}

TEST(SettingsLoader, ReadsTheWrongCodesLimit) {
  TempDir dir;
  Diagnostics d;
  TestConfig config;
  config.rate_limits = "{ wrong_codes: 100/30d }";
  auto s = load_settings_text(config.yaml(dir), "t.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->security.wrong_codes, (Rate{100, std::chrono::hours(24 * 30)}));
}

TEST(SettingsLoader, EachDeliveryEntryHasItsConcurrencyAndWorkersFollowThem) {
  Diagnostics d;
  auto s = load_settings_text(R"(token: { plugin: jwt }
delivery:
  - { plugin: smtp, for: email, concurrency: 20 }
  - { plugin: sms-http, for: phone }
users: { plugin: sql }
)",
                              "t.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->delivery[0].concurrency, 20);
  EXPECT_EQ(s->delivery[1].concurrency, 16) << "the default";
  EXPECT_EQ(s->outbox.workers, 0) << "auto";

  Diagnostics bad;
  EXPECT_FALSE(load_settings_text(R"(token: { plugin: jwt }
delivery: [ { plugin: smtp, concurrency: 0 } ]
users: { plugin: sql }
outbox: { workers: many }
)",
                                  "t.yaml", bad));
  const auto text = all_errors(bad);
  EXPECT_NE(text.find("delivery[0].concurrency"), std::string::npos) << text;
  EXPECT_NE(text.find("outbox.workers"), std::string::npos) << text;

  Diagnostics fixed;
  auto four = load_settings_text(R"(token: { plugin: jwt }
delivery: [ { plugin: smtp } ]
users: { plugin: sql }
outbox: { workers: 4 }
)",
                                 "t.yaml", fixed);
  ASSERT_TRUE(four) << all_errors(fixed);
  EXPECT_EQ(four->outbox.workers, 4);
}

TEST(SettingsLoader, ReportsUnknownKeyWithPathAndLine) {
  Diagnostics d;
  auto s = load_settings_text(R"(server:
  listen: 127.0.0.1:8080
  lisen: 127.0.0.1:9090
token: { plugin: jwt }
delivery: [ { plugin: outbox, for: email } ]
users: { plugin: sql }
verify:
  confirm_pages: false
)",
                              "t.yaml", d);
  EXPECT_FALSE(s);
  const auto text = all_errors(d);
  EXPECT_NE(text.find("server.lisen: unknown key (line 3)"), std::string::npos) << text;
  EXPECT_NE(text.find("verify.confirm_pages: unknown key (line 8)"), std::string::npos) << text;
}

TEST(SettingsLoader, TrustedProxiesAreAddressesOrRangesAndTheHeaderIsOneOfTwo) {
  Diagnostics d;
  auto s = load_settings_text(R"(server:
  trusted_proxies: [10.0.0.0/8, "::1", 10.0.0.0/33, proxy.example.com]
  forwarded_header: x-real-ip
token: { plugin: jwt }
delivery: [ { plugin: outbox, for: email } ]
users: { plugin: sql }
)",
                              "t.yaml", d);
  EXPECT_FALSE(s);
  const auto text = all_errors(d);
  EXPECT_NE(text.find("got \"10.0.0.0/33\""), std::string::npos) << text;
  EXPECT_NE(text.find("got \"proxy.example.com\""), std::string::npos) << text;
  EXPECT_EQ(text.find("got \"10.0.0.0/8\""), std::string::npos) << text;
  EXPECT_NE(text.find("server.forwarded_header: expected x-forwarded-for or forwarded"),
            std::string::npos)
      << text;
}

TEST(SettingsLoader, TheAdminBlockIsCheckedKeyByKey) {
  Diagnostics d;
  auto s = load_settings_text(R"(server:
  admin: { listen: [nowhere], token: short, token_file: x, tokn: y }
token: { plugin: jwt }
delivery: [ { plugin: outbox, for: email } ]
users: { plugin: sql }
)",
                              "t.yaml", d);
  EXPECT_FALSE(s);
  const auto text = all_errors(d);
  EXPECT_NE(text.find("server.admin.listen: expected host:port, got \"nowhere\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("token and token_file: give one"), std::string::npos) << text;
  EXPECT_NE(text.find("server.admin.tokn: unknown key"), std::string::npos) << text;

  Diagnostics short_token;
  EXPECT_FALSE(load_settings_text(R"(server: { admin: { token: short } }
token: { plugin: jwt }
delivery: [ { plugin: outbox, for: email } ]
users: { plugin: sql }
)",
                                  "t.yaml", short_token));
  EXPECT_NE(all_errors(short_token).find("server.admin.token: too short"), std::string::npos)
      << all_errors(short_token);
}

TEST(SettingsLoader, ReportsEveryWrongTypeWithItsLine) {
  Diagnostics d;
  auto s = load_settings_text(R"(server:
  threads: many
  max_body_bytes: 10
token: { plugin: jwt, ttl: soon }
delivery:
  - plugin: outbox
    for: fax
users: { plugin: sql, signup: perhaps }
security:
  rate_limits: { per_client: lots }
outbox: { store: "mysql://x", retry: { backoff: "10m..2s" } }
)",
                              "t.yaml", d);
  EXPECT_FALSE(s);
  const auto text = all_errors(d);
  EXPECT_NE(text.find("server.threads: expected an integer, got \"many\" (line 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("server.max_body_bytes: must be between"), std::string::npos) << text;
  EXPECT_NE(
      text.find("token.ttl: expected a duration such as 90s, 15m, 1h or 7d, got \"soon\" (line 4)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("delivery[0].for: expected email | phone, got \"fax\" (line 7)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("users.signup: expected true or false, got \"perhaps\" (line 8)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("security.rate_limits.per_client: expected a rate such as 5/15m"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("outbox.store: expected sqlite:PATH or postgresql://"), std::string::npos)
      << text;
  EXPECT_NE(text.find("outbox.retry.backoff: expected a backoff range"), std::string::npos) << text;
  EXPECT_GE(d.errors().size(), 8u);
}

TEST(SettingsLoader, RunningThreadsIsAutoOrACount) {
  const std::string plugins = R"(token: { plugin: jwt }
delivery: [{ plugin: outbox, for: email }]
users: { plugin: sql }
)";
  Diagnostics d;
  auto automatic = load_settings_text("server: { running_threads: auto }\n" + plugins, "t.yaml", d);
  ASSERT_TRUE(automatic) << all_errors(d);
  EXPECT_EQ(automatic->server.running_threads, 0);
  auto counted = load_settings_text("server: { running_threads: 6 }\n" + plugins, "t.yaml", d);
  ASSERT_TRUE(counted) << all_errors(d);
  EXPECT_EQ(counted->server.running_threads, 6);
  EXPECT_EQ(server::front_end_options(*counted).running_threads, 6u);
  for (const char* bad : {"0", "2000", "some"}) {
    Diagnostics refused;
    EXPECT_FALSE(load_settings_text(
        std::string("server: { running_threads: ") + bad + " }\n" + plugins, "t.yaml", refused))
        << bad;
    EXPECT_NE(all_errors(refused).find("server.running_threads"), std::string::npos)
        << all_errors(refused);
  }
}

TEST(SettingsLoader, ACallTimeoutOfZeroRunsTokenAndUserCallsOnTheRequestsThread) {
  Diagnostics d;
  auto s = load_settings_text(R"(token: { plugin: jwt, call_timeout: 0s }
delivery: [{ plugin: outbox, for: email }]
users: { plugin: sql, call_timeout: 0s }
)",
                              "t.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->token.call_timeout.count(), 0);
  EXPECT_EQ(s->users.call_timeout.count(), 0);

  // A send leaves the process: a delivery always has a deadline. And a deadline too short to
  // mean anything is refused rather than read as "on the request's thread".
  Diagnostics refused;
  EXPECT_FALSE(load_settings_text(R"(token: { plugin: jwt, call_timeout: 50ms }
delivery: [{ plugin: outbox, for: email, call_timeout: 0s }]
users: { plugin: sql }
)",
                                  "t.yaml", refused));
  const auto text = all_errors(refused);
  EXPECT_NE(text.find("token.call_timeout: must be 0s (on the request's thread) or between 100ms "
                      "and 10m (line 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("delivery[0].call_timeout: must be between 100ms and 10m (line 2)"),
            std::string::npos)
      << text;
}

TEST(SettingsLoader, RequiresThePluginSections) {
  Diagnostics d;
  EXPECT_FALSE(load_settings_text("server: { threads: 4 }\n", "t.yaml", d));
  const auto text = all_errors(d);
  EXPECT_NE(text.find("token: required"), std::string::npos) << text;
  EXPECT_NE(text.find("delivery: required"), std::string::npos) << text;
  EXPECT_NE(text.find("users: required"), std::string::npos) << text;
}

TEST(SettingsLoader, RefusesBrokenYamlWithItsLine) {
  Diagnostics d;
  EXPECT_FALSE(load_settings_text("server:\n  listen: [127.0.0.1:80\ntoken: {", "bad.yaml", d));
  ASSERT_EQ(d.errors().size(), 1u);
  EXPECT_NE(d.errors()[0].message.find("not valid YAML"), std::string::npos);
  EXPECT_GT(d.errors()[0].line, 0);
}

TEST(SettingsLoader, RefusesANonMappingDocument) {
  Diagnostics d;
  EXPECT_FALSE(load_settings_text("- just\n- a list\n", "bad.yaml", d));
  EXPECT_NE(all_errors(d).find("expected a mapping at the top"), std::string::npos);
}

TEST(SettingsLoader, ExpandsEnvironmentAndNamesMissingVariables) {
  TempDir dir;
  TestConfig c;
  c.extra = "branding: { title: \"${APP_TITLE}\", app_name: \"${APP_NAME:-Fallback}\" }\n";
  Diagnostics d;
  auto s = load_settings_text(c.yaml(dir), "t.yaml", d, env_of({{"APP_TITLE", "Acme sign-in"}}));
  ASSERT_TRUE(s) << all_errors(d);
  EXPECT_EQ(s->branding.title, "Acme sign-in");
  EXPECT_EQ(s->branding.app_name, "Fallback");

  Diagnostics missing;
  EXPECT_FALSE(load_settings_text(c.yaml(dir), "t.yaml", missing, env_of({})));
  EXPECT_NE(all_errors(missing).find("branding.title: environment variable APP_TITLE is not set"),
            std::string::npos)
      << all_errors(missing);
}

TEST(SettingsLoader, AcceptsSeveralListenAddresses) {
  TempDir dir;
  std::string yaml = TestConfig{}.yaml(dir);
  yaml.replace(yaml.find("listen: 127.0.0.1:0"), 19, "listen: [127.0.0.1:0, \"[::1]:0\"]");
  Diagnostics d;
  auto s = load_settings_text(yaml, "t.yaml", d);
  ASSERT_TRUE(s) << all_errors(d);
  ASSERT_EQ(s->server.listen.size(), 2u);
  EXPECT_EQ(s->server.listen[1].host, "::1");
}

TEST(SettingsLoader, ReadsAFileAndNamesAMissingOne) {
  TempDir dir;
  Diagnostics d;
  EXPECT_FALSE(load_settings_file(dir.file("nope.yaml"), d));
  EXPECT_NE(all_errors(d).find("cannot read the file"), std::string::npos);
}

}  // namespace
}  // namespace linkgate::config
