#include "config/plugin_config.h"

#include <gtest/gtest.h>

#include "linkgate/testkit/plugin_loader.h"
#include "linkgate/testkit/test_host.h"
#include "support/temp_dir.h"

namespace linkgate::config {
namespace {

constexpr sdk::ConfigKey kKeys[] = {
    {"host", sdk::ConfigType::string, nullptr, true, "server"},
    {"port", sdk::ConfigType::integer, "587", false, "port"},
    {"tls", sdk::ConfigType::boolean, "true", false, "tls"},
    {"timeout", sdk::ConfigType::duration, "10s", false, "timeout"},
    {"headers", sdk::ConfigType::string_map, nullptr, false, "headers"},
    {"cc", sdk::ConfigType::string_list, nullptr, false, "copies"},
    {"password", sdk::ConfigType::secret, nullptr, false, "secret"},
};

PluginUse use_of(const std::string& yaml) {
  PluginUse use;
  use.name = "smtp";
  use.path = "delivery[1].config";
  use.line = 30;
  use.config = YAML::Load(yaml);
  return use;
}

TEST(PluginConfig, ReadsValuesAndDefaults) {
  Diagnostics d;
  auto c = PluginConfig::validate(
      use_of("{host: mail.example.com, headers: {X-A: b}, cc: [a, b], password: s3}"), kKeys, d,
      process_environment());
  ASSERT_TRUE(d.ok()) << d.to_string();
  EXPECT_EQ(c.get_string("host"), "mail.example.com");
  EXPECT_EQ(c.get_int("port"), 587);
  EXPECT_EQ(c.get_bool("tls"), true);
  EXPECT_EQ(c.get_duration("timeout"), std::chrono::seconds(10));
  EXPECT_EQ(c.get_map("headers").at("X-A"), "b");
  EXPECT_EQ(c.get_list("cc").size(), 2u);
  EXPECT_EQ(c.get_string("password"), "s3");
  EXPECT_TRUE(c.is_set("host"));
  EXPECT_FALSE(c.is_set("port"));
  EXPECT_FALSE(c.get_int("host")) << "reading with another type than declared yields nothing";
  EXPECT_FALSE(c.get_string("nonexistent"));
  EXPECT_EQ(c.path(), "delivery[1].config");
}

TEST(PluginConfig, ReportsUnknownMissingAndMistypedKeysWithLines) {
  Diagnostics d;
  PluginConfig::validate(use_of("port: abc\nhots: x\ntimeout: later\n"), kKeys, d,
                         process_environment());
  const auto text = d.to_string();
  EXPECT_NE(text.find("delivery[1].config.port: expected an integer, got \"abc\" (line 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("delivery[1].config.hots: unknown key for plugin smtp (known: host, port"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("delivery[1].config.host: required by plugin smtp"), std::string::npos)
      << text;
  EXPECT_NE(text.find("delivery[1].config.timeout: expected a duration"), std::string::npos)
      << text;
}

TEST(PluginConfig, MissingBlockStillChecksRequiredKeys) {
  Diagnostics d;
  PluginUse use = use_of("");
  use.config = YAML::Node();
  PluginConfig::validate(use, kKeys, d, process_environment());
  EXPECT_NE(d.to_string().find("host: required by plugin smtp (line 30)"), std::string::npos)
      << d.to_string();
}

TEST(PluginConfig, ResolvesRelativePathsAgainstTheWorkingDirectory) {
  Diagnostics d;
  auto c = PluginConfig::validate(use_of("{host: x}"), kKeys, d, process_environment());
  EXPECT_EQ(c.resolve_path("/abs/file"), "/abs/file");
  EXPECT_EQ(c.resolve_path("data/x.db"), (std::filesystem::current_path() / "data/x.db").string());
}

TEST(PluginConfig, ResolvesRelativePathsAgainstDataDirWhenTheFileSetsOne) {
  Diagnostics d;
  PluginUse use = use_of("{host: x}");
  use.base_dir = "/var/lib/linkgate";
  auto c = PluginConfig::validate(use, kKeys, d, process_environment());
  EXPECT_EQ(c.resolve_path("/abs/file"), "/abs/file");
  EXPECT_EQ(c.resolve_path("keys/../link.pem"), "/var/lib/linkgate/link.pem");
}

// The testkit checks a config with this same checker: whatever check-config refuses, a plugin's
// testkit suite refuses too, with the same words, and whatever it accepts, the testkit accepts.
TEST(PluginConfig, TheTestkitAndCheckConfigAgreeOnEveryValue) {
  auto jwt =
      testkit::LoadedPlugin::load(std::string(LINKGATE_PLUGIN_DIR) + "/linkgate-token-jwt.so");
  testkit::TestHost host;
  linkgate::testing::TempDir dir;
  const std::span<const sdk::ConfigKey> keys(jwt.descriptor().config_keys,
                                             jwt.descriptor().config_key_count);
  const std::vector<std::pair<std::string, std::string>> cases{
      {"leeway", "5s"},      {"leeway", "-5s"},
      {"leeway", "5"},       {"leeway", "1h30m"},
      {"single_use", "yes"}, {"single_use", "Off"},
      {"single_use", "2"},   {"audience", "x"},
      {"no_such_key", "1"},  {"leeway", "99999999999999999d"},
  };
  for (const auto& [key, value] : cases) {
    Diagnostics d;
    PluginUse use;
    use.name = "jwt";
    use.path = "token.config";
    use.config =
        YAML::Load("{key_file: " + dir.file("k.pem") + ", " + key + ": \"" + value + "\"}");
    PluginConfig::validate(use, keys, d, process_environment());
    std::string testkit_problem;
    try {
      jwt.create<sdk::TokenStrategy>({{"key_file", dir.file("k.pem")}, {key, value}}, host);
    } catch (const std::invalid_argument& e) {
      testkit_problem = e.what();
    }
    EXPECT_EQ(d.ok(), testkit_problem.empty())
        << key << "=" << value << ": server says \"" << d.to_string() << "\", testkit says \""
        << testkit_problem << "\"";
    if (!d.ok()) {
      const std::string message = d.errors().front().message;
      EXPECT_NE(testkit_problem.find(message), std::string::npos)
          << "same words: " << message << " / " << testkit_problem;
    }
  }
}

}  // namespace
}  // namespace linkgate::config
