// Sign-in messages through real delivery: SMTP to a real server, outages, fallbacks, crashes.

#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <gtest/gtest.h>
#include <signal.h>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "flow/sms_length.h"
#include "support/child_process.h"
#include "support/held_port.h"
#include "support/smtp_server.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

std::string smtp_delivery(std::uint16_t port, const std::string& tls, const std::string& ca_file,
                          const std::string& extra = "") {
  return "  - plugin: smtp\n"
         "    for: email\n"
         "    config: { host: 127.0.0.1, port: " +
         std::to_string(port) + ", tls: " + tls + ", ca_file: \"" + ca_file +
         "\", from: \"Acme <no-reply@acme.example>\", timeout: 3s" + extra + " }\n";
}

std::string link_in(const std::string& text) {
  std::smatch m;
  static const std::regex kLink(
      R"((http://127\.0\.0\.1:8080/v1/magic-links/verify\?token=[A-Za-z0-9_\-.]+))");
  return std::regex_search(text, m, kLink) ? m[1].str() : "";
}

TEST(Delivery, SignInWithTheLinkFromARealMail) {
  TempDir mail_dir;
  SmtpServer smtp(mail_dir, {"--tls", "starttls", "--user", "mailer", "--password", "pw"});
  TestConfig config;
  config.delivery =
      smtp_delivery(smtp.port(), "starttls", smtp.ca_file(), ", username: mailer, password: pw");
  TestServer server(config);
  auto started =
      server.client().post_json("/v1/magic-links", "{\"identifier\":\"reader@example.com\"}");
  ASSERT_EQ(started.status, 202) << started.body;

  auto mail = smtp.message();
  EXPECT_EQ(mail->getValue<std::string>("to"), "reader@example.com");
  EXPECT_EQ(mail->getValue<std::string>("subject"), "Your sign-in link for linkgate");
  const std::string text = text_part(mail);
  const std::string link = link_in(text);
  ASSERT_FALSE(link.empty()) << text;
  std::smatch code;
  ASSERT_TRUE(std::regex_search(text, code, std::regex(R"(code on the sign-in page: (\d{6}))")))
      << text;

  const std::string token = link.substr(link.find("token=") + 6);
  auto in = server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  EXPECT_EQ(in.status, 200) << in.body;
  EXPECT_EQ(server.wait_for_outbox("sent", 1), 1);
}

TEST(Delivery, AMailServerThatIsDownDelaysTheMailButLosesNothing) {
  TempDir mail_dir;
  const HeldPort down;
  const std::uint16_t port = down.port();
  TestConfig config;
  config.delivery = smtp_delivery(port, "none", "");
  config.outbox_retry = "{ attempts: 10, backoff: 1s..2s }";
  TestServer server(config);
  auto started =
      server.client().post_json("/v1/magic-links", "{\"identifier\":\"patient@example.com\"}");
  EXPECT_EQ(started.status, 202) << "the request does not wait for, or fail with, the mail server";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(server.runtime().outbox().depth().value(), 1) << "queued, not dropped";

  SmtpServer smtp(mail_dir, {}, port);  // the mail server comes back
  auto mail = smtp.message(1, 15);
  EXPECT_EQ(mail->getValue<std::string>("to"), "patient@example.com");
  EXPECT_FALSE(link_in(text_part(mail)).empty());
  for (int i = 0; i < 100 && server.runtime().outbox().depth().value() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.runtime().outbox().depth().value(), 0);
  EXPECT_EQ(smtp.count(), 1u) << "delivered once";
}

TEST(Delivery, APermanentRefusalFallsBackToTheNextChannel) {
  TempDir mail_dir;
  SmtpServer smtp(mail_dir, {"--reject-first", "100", "--reject-code", "550"});
  TestConfig config;
  config.delivery = smtp_delivery(smtp.port(), "none", "");
  TempDir outbox_dir;
  config.delivery +=
      "  - plugin: outbox\n    for: email\n    config: { dir: " + outbox_dir.file("files") +
      ", log_link: false }\n";
  TestServer server(config);
  ASSERT_EQ(server.client()
                .post_json("/v1/magic-links", "{\"identifier\":\"fallback@example.com\"}")
                .status,
            202);
  bool written = false;
  for (int i = 0; i < 250 && !written; ++i) {
    std::error_code ec;
    written = std::filesystem::exists(outbox_dir.file("files")) &&
              !std::filesystem::is_empty(outbox_dir.file("files"), ec);
    if (!written) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(written) << "the second channel delivered it";
  EXPECT_EQ(smtp.count(), 0u);
}

class SmsDelivery : public ::testing::Test {
 protected:
  static std::vector<std::string> gateway_args(const TempDir& dir, std::vector<std::string> extra) {
    std::vector<std::string> args{std::string(LINKGATE_SOURCE_DIR) + "/tests/tools/sms_gateway.py",
                                  "--dir",
                                  dir.file("sms"),
                                  "--twilio-sid",
                                  "AC42",
                                  "--twilio-token",
                                  "tok"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  explicit SmsDelivery(TestConfig config = {}, std::vector<std::string> gateway_flags = {})
      : gateway(system_python(), gateway_args(requests, std::move(gateway_flags))) {
    config.delivery =
        "  - plugin: sms-http\n    for: phone\n    config: { preset: twilio, account_sid: AC42, "
        "auth_token: tok, from: \"+15550001111\", base_url: \"http://127.0.0.1:" +
        std::to_string(gateway.port()) + "\" }\n";
    server = std::make_unique<TestServer>(config);
  }
  Poco::JSON::Object::Ptr sms(int n = 1) {
    const std::string file = requests.file("sms/000" + std::to_string(n) + ".json");
    for (int i = 0; i < 500 && !std::filesystem::exists(file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return Poco::JSON::Parser()
        .parse(text.str())
        .extract<Poco::JSON::Object::Ptr>()
        ->getObject("form");
  }
  static std::string token_of(const std::string& body) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(body, m, std::regex(R"(token=([A-Za-z0-9_\-.]+))"))) << body;
    return m[1];
  }

  TempDir requests;
  ChildProcess gateway;
  std::unique_ptr<TestServer> server;
};

TEST_F(SmsDelivery, PhoneSignInFitsTwoSegmentsAndEndsWithTheWebOtpLine) {
  auto started =
      server->client().post_json("/v1/magic-links", "{\"identifier\":\"+1 555 222 3333\"}");
  ASSERT_EQ(started.status, 202) << started.body;
  auto form = sms();
  EXPECT_EQ(form->getValue<std::string>("To"), "+15552223333");
  EXPECT_EQ(form->getValue<std::string>("From"), "+15550001111");
  const std::string body = form->getValue<std::string>("Body");
  EXPECT_LE(flow::sms_segments(body), 2u) << body.size() << " characters: " << body;
  std::smatch code;
  ASSERT_TRUE(std::regex_search(body, code, std::regex(R"(#(\d{6})$)"))) << body;
  EXPECT_EQ(body.substr(body.rfind('\n') + 1), "@127.0.0.1 #" + code[1].str());

  const std::string token = token_of(body);
  EXPECT_EQ(token.rfind("c.", 0), 0u)
      << "an ES256 JWT does not fit an SMS: the core's short link is used";
  HttpClient scanner = server->client();
  EXPECT_EQ(scanner.get("/v1/magic-links/verify?token=" + token, {{"Accept", "text/html"}}).status,
            200);
  auto in = server->client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  auto again =
      server->client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  EXPECT_EQ(again.status, 400);
  EXPECT_NE(again.body.find("used_token"), std::string::npos);
}

TEST_F(SmsDelivery, ShortLinksCannotBeGuessedAndAreSuperseded) {
  server->client().post_json("/v1/magic-links", "{\"identifier\":\"+15552224444\"}");
  const std::string first = token_of(sms(1)->getValue<std::string>("Body"));
  EXPECT_EQ(server->client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"c.AAAAAAAAAAAAAAAAAAAAAA\"}")
                .status,
            400);
  std::string flipped = first;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(server->client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + flipped + "\"}")
                .status,
            400);
  server->client().post_json("/v1/magic-links", "{\"identifier\":\"+15552224444\"}");
  const std::string second = token_of(sms(2)->getValue<std::string>("Body"));
  EXPECT_EQ(
      server->client().post_json("/v1/magic-links/verify", "{\"token\":\"" + first + "\"}").status,
      400)
      << "the newer request superseded it";
  EXPECT_EQ(
      server->client().post_json("/v1/magic-links/verify", "{\"token\":\"" + second + "\"}").status,
      200);
}

// A gateway that answers 500 twice, then accepts: the outbox retries until it is delivered.
class FlakyGateway : public SmsDelivery {
 protected:
  static TestConfig quick_retries() {
    TestConfig c;
    c.outbox_retry = "{ attempts: 5, backoff: 1s..1s }";
    return c;
  }
  FlakyGateway() : SmsDelivery(quick_retries(), {"--fail-first", "2", "--fail-status", "500"}) {}
};

TEST_F(FlakyGateway, ServerErrorsAreRetriedUntilDelivered) {
  ASSERT_EQ(
      server->client().post_json("/v1/magic-links", "{\"identifier\":\"+15552226666\"}").status,
      202);
  auto form = sms(1);  // waits: the third attempt, about two seconds later, gets through
  EXPECT_EQ(form->getValue<std::string>("To"), "+15552226666");
  EXPECT_EQ(server->wait_for_outbox("sent", 1), 1);
}

// A gateway that refuses the request (HTTP 400): the message is dead, with a clear log line.
class RefusingGateway : public SmsDelivery {
 protected:
  RefusingGateway() : SmsDelivery({}, {"--fail-first", "100", "--fail-status", "400"}) {}
};

TEST_F(RefusingGateway, AClientErrorIsDeadNotRetried) {
  ASSERT_EQ(
      server->client().post_json("/v1/magic-links", "{\"identifier\":\"+15552227777\"}").status,
      202);
  EXPECT_EQ(server->wait_for_outbox("dead", 1), 1);
  auto counts = server->runtime().outbox().counts().value();
  EXPECT_EQ(counts["pending"], 0) << "not queued for retry";
}

class SmsWithStatefulTokens : public SmsDelivery {
 protected:
  static TestConfig stateful() {
    TestConfig c;
    c.token_plugin = "stateful";
    c.token_config = "{ store: \"sqlite:@DIR@/tokens.db\" }";
    return c;
  }
  SmsWithStatefulTokens() : SmsDelivery(stateful()) {}
};

TEST_F(SmsWithStatefulTokens, AStatefulTokenFitsOneSegmentAndIsUsedAsIs) {
  ASSERT_EQ(
      server->client().post_json("/v1/magic-links", "{\"identifier\":\"+15552225555\"}").status,
      202);
  const std::string body = sms()->getValue<std::string>("Body");
  EXPECT_EQ(flow::sms_segments(body), 1u) << body;
  const std::string token = token_of(body);
  EXPECT_EQ(token.size(), 43u) << "the strategy's own token, not the core's short link";
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      ok += server->client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}")
                .status == 200;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
}

// The server process dies (SIGKILL) with a message still queued; after a restart it is sent.
TEST(Delivery, AQueuedMessageSurvivesSigkill) {
  TempDir dir;
  TempDir mail_dir;
  const HeldPort down;
  const std::uint16_t smtp_port = down.port();
  TestConfig config;
  config.log_level = "info";
  config.delivery = smtp_delivery(smtp_port, "none", "");
  config.outbox_retry = "{ attempts: 20, backoff: 1s..1s }";
  // If the kill lands between the claim and the retry bookkeeping, the message waits out its lease.
  config.outbox_lease = "2s";
  const std::string file = config.write(dir);

  auto launch = [&](std::string& port) {
    auto pipe = std::make_shared<Poco::Pipe>();
    auto handle = std::make_shared<Poco::ProcessHandle>(Poco::Process::launch(
        LINKGATE_BINARY, {"serve", "--config", file}, nullptr, pipe.get(), pipe.get()));
    auto in = std::make_shared<Poco::PipeInputStream>(*pipe);
    std::string line;
    std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    while (std::getline(*in, line)) {
      std::smatch m;
      if (std::regex_search(line, m, listening)) {
        port = m[1];
        break;
      }
    }
    return std::make_tuple(handle, pipe, in);
  };

  std::string port;
  auto first = launch(port);
  ASSERT_FALSE(port.empty());
  HttpClient client("http://127.0.0.1:" + port);
  ASSERT_EQ(client.post_json("/v1/magic-links", "{\"identifier\":\"crash@example.com\"}").status,
            202);
  ::kill(std::get<0>(first)->id(), SIGKILL);
  std::get<0>(first)->wait();

  SmtpServer smtp(mail_dir, {}, smtp_port);
  std::string port2;
  auto second = launch(port2);
  ASSERT_FALSE(port2.empty());
  auto mail = smtp.message(1, 20);
  EXPECT_EQ(mail->getValue<std::string>("to"), "crash@example.com");
  ::kill(std::get<0>(second)->id(), SIGTERM);
  std::get<0>(second)->wait();
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

TEST(Locale, TheMessageIsInTheLanguageTheBrowserPrefers) {
  TestServer server;
  server.client().post_json("/v1/magic-links", "{\"identifier\":\"anna@example.de\"}",
                            {{"Accept-Language", "de-CH, de;q=0.9, en;q=0.5"}});
  auto german = server.wait_for_message("anna@example.de");
  EXPECT_EQ(german.locale, "de");
  EXPECT_NE(german.subject.find("Anmeldelink"), std::string::npos);
  server.client().post_json("/v1/magic-links",
                            "{\"identifier\":\"pierre@example.fr\",\"locale\":\"fr\"}",
                            {{"Accept-Language", "fr"}});
  auto fallback = server.wait_for_message("pierre@example.fr");
  EXPECT_EQ(fallback.locale, "en") << "no French templates: the default locale";
  server.client().post_json("/v1/magic-links",
                            "{\"identifier\":\"eve@example.com\",\"locale\":\"de\"}");
  EXPECT_EQ(server.wait_for_message("eve@example.com").locale, "de")
      << "an explicit locale field wins";
}

}  // namespace
}  // namespace linkgate::testing
