// Each shipped example config, as it is, runs the whole sign-in with the real binary against
// the real kinds of server it names (SMTP, an SMS gateway, PostgreSQL, Redis) on loopback. The
// examples take their endpoints and secrets from the environment, as operators set them.

#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/postgres_server.h"
#include "support/redis_server.h"
#include "support/smtp_server.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

const std::string kTwilioSid = "AC00000000000000000000000000000000";

// The binary serving an example in a fresh working folder (so its relative `data/` lands there),
// with `build/` and `configs/` linked in as they are in a checkout.
class ExampleServer {
 public:
  ExampleServer(const std::string& example, std::map<std::string, std::string> env) {
    std::filesystem::create_directory_symlink(std::filesystem::path(plugin_dir()).parent_path(),
                                              work_.file("build"));
    std::filesystem::create_directory_symlink(std::string(source_dir()) + "/configs",
                                              work_.file("configs"));
    env["LINKGATE_LISTEN"] = "127.0.0.1:0";
    // check-config first, in the same place and environment: it must find nothing wrong with
    // what serve then runs.
    {
      Poco::Pipe checked;
      auto check = Poco::Process::launch(
          LINKGATE_BINARY, {"check-config", "--config", "configs/examples/" + example},
          work_.path().string(), nullptr, &checked, &checked, env);
      Poco::PipeInputStream said(checked);
      std::string text((std::istreambuf_iterator<char>(said)), {});
      if (check.wait() != 0) throw std::runtime_error(example + " failed check-config:\n" + text);
    }
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch(LINKGATE_BINARY, {"serve", "--config", "configs/examples/" + example},
                              work_.path().string(), nullptr, &out_, &out_, env));
    in_ = std::make_unique<Poco::PipeInputStream>(out_);
    std::string line;
    std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    while (std::getline(*in_, line)) {
      log_ += line + "\n";
      std::smatch m;
      if (std::regex_search(line, m, listening)) {
        port_ = m[1];
        break;
      }
    }
    if (port_.empty()) throw std::runtime_error(example + " did not start:\n" + log_);
  }
  ~ExampleServer() {
    ::kill(handle_->id(), SIGTERM);
    handle_->wait();
  }
  HttpClient client() const { return HttpClient("http://127.0.0.1:" + port_); }

 private:
  TempDir work_;
  Poco::Pipe out_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  std::unique_ptr<Poco::PipeInputStream> in_;
  std::string port_, log_;
};

std::string token_in(const std::string& text) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(R"(verify\?token=([A-Za-z0-9_\-.]+))"))) return "";
  return m[1];
}

std::map<std::string, std::string> smtp_env(const SmtpServer& smtp) {
  return {{"SMTP_HOST", "127.0.0.1"},
          {"SMTP_PORT", std::to_string(smtp.port())},
          {"SMTP_CA_FILE", smtp.ca_file()},
          {"SMTP_USER", "linkgate"},
          {"SMTP_PASSWORD", "mail-secret"}};
}

// Signs in by e-mail through @p server and the real SMTP server @p smtp.
void sign_in_by_email(const ExampleServer& server, const SmtpServer& smtp, const std::string& who) {
  auto started = server.client().post_json("/v1/magic-links", "{\"identifier\":\"" + who + "\"}");
  ASSERT_EQ(started.status, 202) << started.body;
  auto mail = smtp.message(1, 20);
  EXPECT_EQ(mail->getValue<std::string>("to"), who);
  const std::string token = token_in(text_part(mail));
  ASSERT_FALSE(token.empty()) << text_part(mail);
  auto in = server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  EXPECT_EQ(in.status, 200) << in.body;
}

// Signs in by SMS through @p server and the Twilio-shaped gateway writing to @p requests.
void sign_in_by_sms(const ExampleServer& server, const TempDir& requests,
                    const std::string& phone) {
  ASSERT_EQ(
      server.client().post_json("/v1/magic-links", "{\"identifier\":\"" + phone + "\"}").status,
      202);
  const std::string file = requests.file("sms/0001.json");
  for (int i = 0; i < 500 && !std::filesystem::exists(file); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  auto form =
      Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>()->getObject("form");
  EXPECT_EQ(form->getValue<std::string>("To"), phone);
  const std::string token = token_in(form->getValue<std::string>("Body"));
  ASSERT_FALSE(token.empty());
  auto signed_in =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  EXPECT_EQ(signed_in.status, 200) << signed_in.body;
}

std::map<std::string, std::string> sms_env(const ChildProcess& gateway, const SmtpServer& smtp) {
  auto env = smtp_env(smtp);
  env["TWILIO_TOKEN"] = "tok";
  env["TWILIO_BASE_URL"] = "http://127.0.0.1:" + std::to_string(gateway.port());
  return env;
}

ChildProcess twilio_gateway(const TempDir& requests) {
  return ChildProcess(system_python(),
                      {std::string(source_dir()) + "/tests/tools/sms_gateway.py", "--dir",
                       requests.file("sms"), "--twilio-sid", kTwilioSid, "--twilio-token", "tok"});
}

TEST(Examples, EmailSmtp) {
  TempDir mail;
  SmtpServer smtp(mail, {"--tls", "starttls", "--user", "linkgate", "--password", "mail-secret"});
  ExampleServer server("email-smtp.yaml", smtp_env(smtp));
  sign_in_by_email(server, smtp, "reader@example.com");
}

TEST(Examples, SmsTwilio) {
  TempDir requests, mail;
  auto gateway = twilio_gateway(requests);
  SmtpServer smtp(mail, {"--tls", "starttls", "--user", "linkgate", "--password", "mail-secret"});
  auto env = sms_env(gateway, smtp);
  ExampleServer server("sms-twilio.yaml", env);
  sign_in_by_sms(server, requests, "+15553334444");
}

TEST(Examples, Postgres) {
  TempDir mail;
  SmtpServer smtp(mail, {"--tls", "starttls", "--user", "linkgate", "--password", "mail-secret"});
  auto env = smtp_env(smtp);
  env["DATABASE_URL"] = PostgresServer::shared().fresh_database();
  ExampleServer server("postgres.yaml", env);
  sign_in_by_email(server, smtp, "pg-reader@example.com");
}

TEST(Examples, StatefulRedis) {
  TempDir requests, mail;
  auto gateway = twilio_gateway(requests);
  SmtpServer smtp(mail, {"--tls", "starttls", "--user", "linkgate", "--password", "mail-secret"});
  auto env = sms_env(gateway, smtp);
  env["REDIS_URL"] = RedisServer::shared().url();
  env["DATABASE_URL"] = PostgresServer::shared().fresh_database();
  ExampleServer server("stateful-redis.yaml", env);
  sign_in_by_sms(server, requests, "+15553335555");
}

}  // namespace
}  // namespace linkgate::testing
