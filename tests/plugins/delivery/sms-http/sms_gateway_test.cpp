#include "sms_gateway.h"
#include "sms_config.h"

#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/temp_dir.h"
#include "support/test_services.h"

namespace linkgate::plugins::sms {
namespace {

using linkgate::testing::ChildProcess;
using linkgate::testing::TempDir;

sdk::Message sms(const std::string& to = "+15551234567") {
  sdk::Message m;
  m.id = "m1";
  m.kind = sdk::AddressKind::phone;
  m.to = to;
  m.text =
      "Acme code: 123456. Sign in: https://id.example.com/v?token=a&b=\"c\"\n\n@id.example.com "
      "#123456";
  m.link = "https://id.example.com/v?token=a&b=\"c\"";
  m.code = "123456";
  return m;
}

TEST(SmsRequest, GenericJsonBodyEscapesValues) {
  GatewaySettings s = settings_with({{"url", "https://gw.example/send/{{to}}"}});
  EXPECT_EQ(s.body, R"({"to": "{{to}}", "text": "{{text}}"})") << "the declared default";
  s.headers["Authorization"] = "Bearer k";
  auto r = build_request(s, sms());
  EXPECT_EQ(r.url, "https://gw.example/send/%2B15551234567");
  auto parsed = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(parsed->getValue<std::string>("text"), sms().text)
      << "the JSON stays valid whatever the text holds";
  EXPECT_EQ(parsed->getValue<std::string>("to"), "+15551234567");
}

TEST(SmsRequest, TwilioPresetIsAFormPostWithBasicAuth) {
  auto s = twilio_preset("https://api.twilio.com/", "AC123", "tok", "+15550001111");
  auto r = build_request(s, sms());
  EXPECT_EQ(r.url, "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json");
  EXPECT_EQ(r.method, "POST");
  EXPECT_NE(r.body.find("To=%2B15551234567&From=%2B15550001111&Body=Acme%20code"),
            std::string::npos)
      << r.body;
  bool basic = false;
  for (auto& [k, v] : r.headers) basic |= k == "Authorization" && v == "Basic QUMxMjM6dG9r";
  EXPECT_TRUE(basic);
}

TEST(SmsStatus, MapsStatusesToOutcomes) {
  EXPECT_EQ(classify_status(201), sdk::ErrorCode::none);
  EXPECT_EQ(classify_status(400), sdk::ErrorCode::permanent);
  EXPECT_EQ(classify_status(401), sdk::ErrorCode::permanent);
  EXPECT_EQ(classify_status(429), sdk::ErrorCode::retryable);
  EXPECT_EQ(classify_status(408), sdk::ErrorCode::retryable);
  EXPECT_EQ(classify_status(500), sdk::ErrorCode::retryable);
  EXPECT_EQ(classify_status(503), sdk::ErrorCode::retryable);
}

class GatewayTest : public ::testing::Test {
 protected:
  ChildProcess start(std::vector<std::string> extra) {
    std::vector<std::string> args{std::string(LINKGATE_SOURCE_DIR) + "/tests/tools/sms_gateway.py",
                                  "--dir", dir.file("requests")};
    args.insert(args.end(), extra.begin(), extra.end());
    return ChildProcess(linkgate::testing::system_python(), args);
  }
  Poco::JSON::Object::Ptr request(int n = 1) {
    std::ifstream in(dir.file("requests/000" + std::to_string(n) + ".json"));
    std::stringstream text;
    text << in.rdbuf();
    return Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
  }
  TempDir dir;
  linkgate::testing::TestServices services;
};

TEST_F(GatewayTest, TwilioShapedGatewayReceivesTheMessage) {
  auto gateway = start({"--twilio-sid", "AC42", "--twilio-token", "secret"});
  SmsGatewayChannel channel(
      settings_with({{"preset", "twilio"},
                     {"base_url", "http://127.0.0.1:" + std::to_string(gateway.port())},
                     {"account_sid", "AC42"},
                     {"auth_token", "secret"},
                     {"from", "+15550001111"}}),
      *services.host);
  auto r = channel.send(sms());
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto form = request()->getObject("form");
  EXPECT_EQ(form->getValue<std::string>("To"), "+15551234567");
  EXPECT_EQ(form->getValue<std::string>("From"), "+15550001111");
  EXPECT_EQ(form->getValue<std::string>("Body"), sms().text);
}

TEST_F(GatewayTest, WrongCredentialsArePermanentAndSaySo) {
  auto gateway = start({"--twilio-sid", "AC42", "--twilio-token", "secret"});
  SmsGatewayChannel channel(
      settings_with({{"preset", "twilio"},
                     {"base_url", "http://127.0.0.1:" + std::to_string(gateway.port())},
                     {"account_sid", "AC42"},
                     {"auth_token", "wrong"},
                     {"from", "+15550001111"}}),
      *services.host);
  auto r = channel.send(sms());
  EXPECT_EQ(r.code(), sdk::ErrorCode::permanent);
  EXPECT_NE(r.error().message.find("HTTP 401"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("123456"), std::string::npos) << "never the code in an error";
}

TEST_F(GatewayTest, ServerErrorsAreRetryable) {
  auto gateway = start({"--fail-first", "1", "--fail-status", "503"});
  GatewaySettings s =
      settings_with({{"url", "http://127.0.0.1:" + std::to_string(gateway.port()) + "/send"}});
  SmsGatewayChannel channel(s, *services.host);
  EXPECT_EQ(channel.send(sms()).code(), sdk::ErrorCode::retryable);
  EXPECT_TRUE(channel.send(sms()).ok());
  auto body = Poco::JSON::Parser()
                  .parse(request()->getValue<std::string>("body"))
                  .extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(body->getValue<std::string>("text"), sms().text);
}

TEST_F(GatewayTest, AnUnreachableGatewayIsRetryable) {
  GatewaySettings s = settings_with(
      {{"url", "http://127.0.0.1:" + std::to_string(linkgate::testing::free_port()) + "/send"},
       {"timeout", "2s"}});
  SmsGatewayChannel channel(s, *services.host);
  EXPECT_EQ(channel.send(sms()).code(), sdk::ErrorCode::retryable);
}

TEST_F(GatewayTest, RefusesRecipientsThatAreNotPhoneNumbers) {
  GatewaySettings s = settings_with({{"url", "http://127.0.0.1:1/send"}});
  SmsGatewayChannel channel(s, *services.host);
  EXPECT_EQ(channel.send(sms("alice@example.com")).code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(channel.send(sms("+1555\r\n1234")).code(), sdk::ErrorCode::invalid);
}

}  // namespace
}  // namespace linkgate::plugins::sms
