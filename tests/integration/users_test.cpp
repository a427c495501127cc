// User stores behind the whole flow.

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_server.h"

namespace linkgate::testing {
namespace {

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
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(server.messages_for("bob@example.com"), 0u) << "not on the list: nothing is sent";

  std::ofstream(file)
      << "- { id: alice, email: alice@example.com }\n- { id: bob, email: bob@example.com }\n";
  config::Diagnostics d;
  auto settings = config::load_settings_text(config.yaml(server.dir()), "r.yaml", d);
  ASSERT_TRUE(settings) << d.to_string();
  ASSERT_EQ(server.server().reload(*settings), "");
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
