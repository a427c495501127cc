#include "outbox_channel.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
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

TEST(OutboxChannel, AMessageFileIsJsonWhateverItsTextHolds) {
  sdk::Message m = message("m1");
  m.subject = "Grüße \"quoted\" back\\slash";
  m.text = std::string("tab\tcr\rnul") + '\0' + "bell\x07 del\x7f </script> \u2028";
  m.html = "<a href=\"x?a=1&b=2\">\xff\xfe broken \xc3</a>";
  m.locale = "de";
  m.kind = sdk::AddressKind::email;
  const auto parsed =
      Poco::JSON::Parser().parse(message_json(m)).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(parsed->getValue<std::string>("id"), "m1");
  EXPECT_EQ(parsed->getValue<std::string>("channel"), "email");
  EXPECT_EQ(parsed->getValue<std::string>("to"), m.to);
  EXPECT_EQ(parsed->getValue<std::string>("subject"), m.subject);
  EXPECT_EQ(parsed->getValue<std::string>("text"), m.text);
  EXPECT_EQ(parsed->getValue<std::string>("link"), m.link);
  EXPECT_EQ(parsed->getValue<std::string>("code"), m.code);
  EXPECT_EQ(parsed->getValue<std::string>("locale"), "de");
  // Bytes that are not UTF-8 are replaced, so the file stays JSON.
  EXPECT_EQ(parsed->getValue<std::string>("html"),
            "<a href=\"x?a=1&b=2\">\xef\xbf\xbd\xef\xbf\xbd broken \xef\xbf\xbd</a>");
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

TEST(OutboxChannel, ABatchIsWrittenFileByFileAndMadeDurableByOneSync) {
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
  OutboxChannel channel(dir.file("out"), true, *services.host);
  ASSERT_GT(channel.batch_limit(), 1u);
  auto crlf = message("m2");
  crlf.subject = "Hi\r\nBcc: eve@example.com";
  const std::vector<sdk::Message> batch{message("m1"), crlf, message("m3"), message("../m4"),
                                        message("m5")};
  const auto before = channel.syncs();
  const auto results = channel.send_batch(batch);
  ASSERT_EQ(results.size(), batch.size());
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), sdk::ErrorCode::invalid);
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(results[3].code(), sdk::ErrorCode::invalid);
  EXPECT_TRUE(results[4].ok());
  EXPECT_EQ(channel.syncs() - before, 1u) << "three files, one sync";
  for (const char* id : {"m1", "m3", "m5"})
    EXPECT_TRUE(std::filesystem::exists(channel.file_for(id)));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("out")), {}), 3);
  EXPECT_EQ(services.log_text.str().find("eve@example.com"), std::string::npos);

  const auto refused = channel.send_batch({crlf});
  EXPECT_EQ(refused[0].code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(channel.syncs() - before, 1u) << "nothing written, nothing to sync";
}

TEST(OutboxChannel, AMessageWhoseFileCannotBeMadeIsRetriedAndTheRestOfItsBatchGoes) {
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
  OutboxChannel channel(dir.file("out"), false, *services.host);
  std::filesystem::create_directories(dir.file("out/m1.json"));  // the name is taken by a folder
  const auto results = channel.send_batch({message("m1"), message("m2")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].code(), sdk::ErrorCode::retryable) << results[0].error().message;
  EXPECT_TRUE(results[1].ok());
  EXPECT_TRUE(std::filesystem::exists(channel.file_for("m2")));
}

}  // namespace
}  // namespace linkgate::plugins::outbox
