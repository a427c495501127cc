#include "config/plugin_config.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace linkgate::config
