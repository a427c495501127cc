#include "smtp_channel.h"
#include "smtp_config.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/MailMessage.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/smtp_server.h"
#include "support/temp_dir.h"
#include "support/test_server.h"
#include "support/test_services.h"

namespace linkgate::plugins::smtp {
namespace {

using linkgate::testing::ChildProcess;
using linkgate::testing::TempDir;

sdk::Message message(const std::string& to = "alice@example.com") {
  sdk::Message m;
  m.id = "m1";
  m.to = to;
  m.subject = "Ihr Anmeldelink für Acme";
  m.text = "Sign in: https://id.example.com/v1/magic-links/verify?token=abc\nCode: 123456\n";
  m.html =
      "<p>Sign in: <a href=\"https://id.example.com/v1/magic-links/verify?token=abc\">link</a> "
      "123456</p>";
  m.link = "https://id.example.com/v1/magic-links/verify?token=abc";
  m.code = "123456";
  m.locale = "de";
  return m;
}

// ---- composing ----

TEST(MailComposer, ParsesAndFormatsMailboxes) {
  auto m = parse_mailbox("Example <no-reply@example.com>");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->display_name, "Example");
  EXPECT_EQ(m->address, "no-reply@example.com");
  EXPECT_EQ(format_mailbox(*m), "\"Example\" <no-reply@example.com>");
  EXPECT_EQ(parse_mailbox("bare@example.com")->address, "bare@example.com");
  EXPECT_EQ(format_mailbox(*parse_mailbox("\"Quote \\\" Co\" <a@example.com>")),
            "\"Quote \\\\\\\" Co\" <a@example.com>");
  auto utf8 = format_mailbox({"Müller AG", "a@example.com"});
  EXPECT_EQ(utf8.rfind("=?UTF-8?", 0), 0u) << utf8;
  EXPECT_FALSE(parse_mailbox("Evil <a@example.com>\r\nBcc: x@example.com"));
  EXPECT_FALSE(parse_mailbox("no address"));
  EXPECT_FALSE(parse_mailbox("A <a@b@c>"));
}

TEST(MailComposer, RefusesHeaderInjection) {
  EXPECT_EQ(header_problem(message()), "");
  EXPECT_NE(header_problem(message("alice@example.com\r\nBcc: eve@example.com")), "");
  EXPECT_NE(header_problem(message("alice@example.com>, <eve@example.com")), "");
  auto m = message();
  m.subject = "Hi\r\nBcc: eve@example.com";
  EXPECT_NE(header_problem(m), "");
}

TEST(MailComposer, BuildsMultipartAlternative) {
  Poco::Net::MailMessage mail;
  compose(message(), {"Acme", "no-reply@acme.example"}, "abc123", mail);
  std::ostringstream out;
  mail.write(out);
  const std::string text = out.str();
  EXPECT_NE(text.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(text.find("Message-ID: <abc123@acme.example>"), std::string::npos);
  EXPECT_NE(text.find("Auto-Submitted: auto-generated"), std::string::npos);
  EXPECT_NE(text.find("Subject: =?UTF-8?"), std::string::npos)
      << "non-ASCII subject is RFC 2047-encoded";
  EXPECT_NE(text.find("Date: "), std::string::npos);
}

TEST(SmtpSettings, PlaintextOnlyToLoopbackUnlessAllowed) {
  SmtpSettings s = settings_with({{"host", "smtp.example.com"}, {"from", "a@example.com"}});
  EXPECT_EQ(settings_problem(s), "") << "the defaults: STARTTLS, port 587";
  EXPECT_EQ(s.port, 587);
  EXPECT_THROW(
      settings_with({{"host", "smtp.example.com"}, {"from", "a@example.com"}, {"tls", "none"}}),
      std::invalid_argument)
      << "refused where the server refuses it";
  s.tls = TlsMode::none;
  EXPECT_NE(settings_problem(s), "");
  s.allow_plaintext = true;
  EXPECT_EQ(settings_problem(s), "");
  s.host = "127.0.0.1";
  s.allow_plaintext = false;
  EXPECT_EQ(settings_problem(s), "");
  s.username = "u";
  EXPECT_NE(settings_problem(s), "") << "user without password";
}

TEST(SmtpFailures, FiveHundredsArePermanentTheRestRetryable) {
  EXPECT_EQ(classify_failure("Recipient rejected: alice@example.com: 550 5.1.1 no such user"),
            sdk::ErrorCode::permanent);
  EXPECT_EQ(classify_failure("Failed to send message: 451 try again later"),
            sdk::ErrorCode::retryable);
  EXPECT_EQ(classify_failure("Connection refused"), sdk::ErrorCode::retryable);
  EXPECT_EQ(classify_failure("Timeout"), sdk::ErrorCode::retryable);
}

// ---- against a real SMTP server (aiosmtpd) ----

class SmtpServerTest : public ::testing::Test {
 protected:
  SmtpSettings settings(const linkgate::testing::SmtpServer& server, TlsMode tls,
                        std::map<std::string, std::string> more = {}) {
    more.insert({{"host", "127.0.0.1"},
                 {"port", std::to_string(server.port())},
                 {"from", "Acme Sign-in <no-reply@acme.example>"},
                 {"timeout", "5s"},
                 {"ca_file", server.ca_file()}});
    SmtpSettings s = settings_with(more);
    s.tls = tls;
    return s;
  }
  /// The connection (numbered by the server, from 1) that carried each message received.
  static std::vector<int> connections(const linkgate::testing::SmtpServer& server) {
    std::vector<int> out;
    for (std::size_t n = 1; n <= server.count(); ++n) {
      out.push_back(server.envelope(static_cast<int>(n))->getValue<int>("connection"));
    }
    return out;
  }

  TempDir dir;
  linkgate::testing::TestServices services;
};

TEST_F(SmtpServerTest, DeliversMultipartMailOverStartTlsWithAPrivateCa) {
  linkgate::testing::SmtpServer server(
      dir, {"--tls", "starttls", "--user", "mailer", "--password", "s3cret"});
  auto s = settings(server, TlsMode::starttls);
  s.username = "mailer";
  s.password = "s3cret";
  SmtpChannel channel(s, *services.host);
  auto r = channel.send(message());
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto mail = server.message();
  EXPECT_EQ(mail->getValue<std::string>("to"), "alice@example.com");
  EXPECT_EQ(mail->getValue<std::string>("from"), "Acme Sign-in <no-reply@acme.example>");
  EXPECT_EQ(mail->getValue<std::string>("subject"), "Ihr Anmeldelink für Acme");
  EXPECT_EQ(mail->getValue<std::string>("content_type"), "multipart/alternative");
  EXPECT_NE(mail->getValue<std::string>("message_id").find("@acme.example>"), std::string::npos);
  EXPECT_FALSE(mail->getValue<std::string>("date").empty());
  auto parts = mail->getArray("parts");
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(parts->getObject(0)->getValue<std::string>("type"), "text/plain");
  EXPECT_EQ(parts->getObject(0)->getValue<std::string>("charset"), "utf-8");
  EXPECT_NE(parts->getObject(0)->getValue<std::string>("body").find("token=abc"),
            std::string::npos);
  EXPECT_NE(parts->getObject(0)->getValue<std::string>("body").find("123456"), std::string::npos);
  EXPECT_EQ(parts->getObject(1)->getValue<std::string>("type"), "text/html");
  auto env = server.envelope();
  EXPECT_TRUE(env->getValue<bool>("tls"));
  EXPECT_TRUE(env->getValue<bool>("auth"));
  EXPECT_EQ(env->getValue<std::string>("mail_from"), "no-reply@acme.example");
}

TEST_F(SmtpServerTest, DeliversOverImplicitTlsWithAuthPlain) {
  linkgate::testing::SmtpServer server(dir,
                                       {"--tls", "implicit", "--user", "u", "--password", "p"});
  auto s = settings(server, TlsMode::implicit);
  s.username = "u";
  s.password = "p";
  s.auth = "plain";
  SmtpChannel channel(s, *services.host);
  auto r = channel.send(message());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(server.envelope()->getValue<bool>("tls"));
}

TEST_F(SmtpServerTest, DeliversPlainToLoopback) {
  linkgate::testing::SmtpServer server(dir);
  SmtpChannel channel(settings(server, TlsMode::none), *services.host);
  ASSERT_TRUE(channel.send(message()).ok());
  EXPECT_FALSE(server.envelope()->getValue<bool>("tls"));
}

TEST_F(SmtpServerTest, RefusesAServerCertificateItDoesNotTrust) {
  linkgate::testing::SmtpServer server(dir, {"--tls", "starttls"});
  auto s = settings(server, TlsMode::starttls);
  s.ca_file = "";  // system CAs: the test CA is not among them
  SmtpChannel channel(s, *services.host);
  auto r = channel.send(message());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(SmtpServerTest, WrongPasswordIsPermanent) {
  linkgate::testing::SmtpServer server(dir,
                                       {"--tls", "starttls", "--user", "u", "--password", "right"});
  auto s = settings(server, TlsMode::starttls);
  s.username = "u";
  s.password = "wrong";
  SmtpChannel channel(s, *services.host);
  auto r = channel.send(message());
  EXPECT_EQ(r.code(), sdk::ErrorCode::permanent) << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong"), std::string::npos)
      << "the password is never in an error";
}

TEST_F(SmtpServerTest, TemporaryRejectionIsRetryablePermanentIsNot) {
  {
    TempDir first;
    linkgate::testing::SmtpServer server(first, {"--reject-first", "1", "--reject-code", "451"});
    SmtpChannel channel(settings(server, TlsMode::none), *services.host);
    EXPECT_EQ(channel.send(message()).code(), sdk::ErrorCode::retryable);
    EXPECT_TRUE(channel.send(message()).ok()) << "the retry gets through";
  }
  linkgate::testing::SmtpServer server(dir, {"--reject-first", "1", "--reject-code", "550"});
  SmtpChannel channel(settings(server, TlsMode::none), *services.host);
  EXPECT_EQ(channel.send(message()).code(), sdk::ErrorCode::permanent);
}

TEST_F(SmtpServerTest, AServerThatIsDownIsRetryable) {
  linkgate::testing::SmtpServer server(dir);
  auto s = settings(server, TlsMode::none);
  server.stop();
  SmtpChannel channel(s, *services.host);
  EXPECT_EQ(channel.send(message()).code(), sdk::ErrorCode::retryable);
}

TEST_F(SmtpServerTest, CrLfIsRefusedBeforeAnyByteIsSent) {
  linkgate::testing::SmtpServer server(dir);
  SmtpChannel channel(settings(server, TlsMode::none), *services.host);
  auto r = channel.send(message("alice@example.com\r\nRCPT TO:<eve@example.com>"));
  EXPECT_EQ(r.code(), sdk::ErrorCode::invalid);
  // Pointed at a closed port, a refusal that came from the network would be `retryable`.
  auto closed = settings(server, TlsMode::none);
  closed.port = linkgate::testing::free_port();
  SmtpChannel nowhere(closed, *services.host);
  EXPECT_EQ(nowhere.send(message("a@example.com\nBcc: b@example.com")).code(),
            sdk::ErrorCode::invalid);
  EXPECT_EQ(server.count(), 0u);
}

// ---- connections kept open ----

TEST_F(SmtpServerTest, ManyMessagesShareOneConnectionWithTlsAndAuthOnEach) {
  linkgate::testing::SmtpServer server(
      dir, {"--tls", "starttls", "--user", "mailer", "--password", "s3cret"});
  auto s = settings(server, TlsMode::starttls);
  s.username = "mailer";
  s.password = "s3cret";
  SmtpChannel channel(s, *services.host);
  for (int i = 0; i < 20; ++i) {
    auto r = channel.send(message("user" + std::to_string(i) + "@example.com"));
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
  }
  ASSERT_EQ(server.count(), 20u);
  EXPECT_EQ(connections(server), std::vector<int>(20, 1)) << "one connection, RSET between";
  for (int n = 1; n <= 20; ++n) {
    auto env = server.envelope(n);
    EXPECT_TRUE(env->getValue<bool>("tls")) << n;
    EXPECT_TRUE(env->getValue<bool>("auth")) << n;
    EXPECT_EQ(env->getArray("rcpt_tos")->getElement<std::string>(0),
              "user" + std::to_string(n - 1) + "@example.com")
        << "each transaction has only its own recipient";
  }
}

TEST_F(SmtpServerTest, AConnectionTheServerClosedIsReplacedBeforeTheNextMessage) {
  linkgate::testing::SmtpServer server(dir, {"--max-per-connection", "3"});
  SmtpChannel channel(settings(server, TlsMode::none), *services.host);
  for (int i = 0; i < 10; ++i) {
    auto r = channel.send(message());
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
    // The server's close reaches the client's socket a moment after the reply.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(connections(server), (std::vector<int>{1, 1, 1, 2, 2, 2, 3, 3, 3, 4}))
      << "no message failed for the connection the server had closed";
}

TEST_F(SmtpServerTest, AConnectionIsRetiredAfterMessagesPerConnection) {
  linkgate::testing::SmtpServer server(dir);
  SmtpChannel channel(settings(server, TlsMode::none, {{"messages_per_connection", "4"}}),
                      *services.host);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(channel.send(message()).ok());
  EXPECT_EQ(connections(server), (std::vector<int>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3}));
}

TEST_F(SmtpServerTest, AConnectionIdleLongerThanKeepAliveIsNotReused) {
  linkgate::testing::SmtpServer server(dir);
  SmtpChannel channel(settings(server, TlsMode::none, {{"keep_alive", "300ms"}}), *services.host);
  ASSERT_TRUE(channel.send(message()).ok());
  ASSERT_TRUE(channel.send(message()).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ASSERT_TRUE(channel.send(message()).ok());
  EXPECT_EQ(connections(server), (std::vector<int>{1, 1, 2}));
}

TEST_F(SmtpServerTest, KeepAliveZeroOpensAConnectionPerMessage) {
  linkgate::testing::SmtpServer server(dir);
  SmtpChannel channel(settings(server, TlsMode::none, {{"keep_alive", "0s"}}), *services.host);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(channel.send(message()).ok());
  EXPECT_EQ(connections(server), (std::vector<int>{1, 2, 3}));
}

TEST_F(SmtpServerTest, ARefusedMessageDoesNotHoldUpTheNextOnes) {
  linkgate::testing::SmtpServer server(dir, {"--reject-first", "2", "--reject-code", "451"});
  SmtpChannel channel(settings(server, TlsMode::none), *services.host);
  EXPECT_EQ(channel.send(message()).code(), sdk::ErrorCode::retryable);
  EXPECT_EQ(channel.send(message()).code(), sdk::ErrorCode::retryable);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(channel.send(message()).ok());
  EXPECT_EQ(server.count(), 3u);
}

TEST_F(SmtpServerTest, ConcurrentSendersEachUseAConnectionOfTheirOwn) {
  linkgate::testing::SmtpServer server(
      dir, {"--tls", "starttls", "--user", "u", "--password", "p", "--delay-ms", "5"});
  auto s = settings(server, TlsMode::starttls);
  s.username = "u";
  s.password = "p";
  SmtpChannel channel(s, *services.host);
  constexpr int kThreads = 8, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!channel
                 .send(message("t" + std::to_string(t) + "m" + std::to_string(i) + "@example.com"))
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(server.count(), static_cast<std::size_t>(kThreads * kEach));
  auto used = connections(server);
  const std::set<int> distinct(used.begin(), used.end());
  EXPECT_LE(distinct.size(), static_cast<std::size_t>(kThreads))
      << "a connection per sender at most, reused";
  std::set<std::string> recipients;
  for (int n = 1; n <= kThreads * kEach; ++n) {
    auto env = server.envelope(n);
    EXPECT_TRUE(env->getValue<bool>("tls") && env->getValue<bool>("auth")) << n;
    ASSERT_EQ(env->getArray("rcpt_tos")->size(), 1u) << "no transaction mixed two senders'";
    recipients.insert(env->getArray("rcpt_tos")->getElement<std::string>(0));
  }
  EXPECT_EQ(recipients.size(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace linkgate::plugins::smtp
