#include "outbox_channel.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.h"
#include "support/test_services.h"

namespace linkgate::plugins::outbox {
namespace {

sdk::Message message(const std::string& id) {
  sdk::Message m;
  m.id = id;
  m.to = "a@example.com";
  m.subject = "Sign in";
  m.text = "line1\nline2 \"quoted\"";
  m.link = "http://x/verify?token=T";
  m.code = "123456";
  return m;
}

TEST(OutboxChannel, WritesOneJsonFilePerMessageAndLogsTheLink) {
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
  OutboxChannel channel(dir.file("out"), true, *services.host);
  ASSERT_TRUE(channel.send(message("m1")).ok());
  std::ifstream in(channel.file_for("m1"));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"link\": \"http://x/verify?token=T\""), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("\"text\": \"line1\\nline2 \\\"quoted\\\"\""), std::string::npos)
      << text.str();
  EXPECT_NE(services.log_text.str().find("http://x/verify?token=T"), std::string::npos);
  // Nothing but the message file: temp files are renamed into place.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("out")), {}), 1);
}

TEST(OutboxChannel, ARetryOverwritesTheSameFile) {
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
  OutboxChannel channel(dir.file("out"), false, *services.host);
  ASSERT_TRUE(channel.send(message("m1")).ok());
  ASSERT_TRUE(channel.send(message("m1")).ok());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("out")), {}), 1);
  EXPECT_EQ(services.log_text.str().find("token=T"), std::string::npos) << "log_link: false";
}

TEST(OutboxChannel, RefusesCrLfAndUnsafeIds) {
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
  OutboxChannel channel(dir.file("out"), false, *services.host);
  auto m = message("m1");
  m.to = "a@example.com\r\nBcc: eve@example.com";
  EXPECT_EQ(channel.send(m).code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(channel.send(message("../escape")).code(), sdk::ErrorCode::invalid);
  EXPECT_FALSE(std::filesystem::exists(dir.file("escape.json")));
}

}  // namespace
}  // namespace linkgate::plugins::outbox
