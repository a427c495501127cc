// The linkgate binary as an operator uses it.

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/smtp_server.h"
#include "support/test_config.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

const std::string kBinary = LINKGATE_BINARY;

std::pair<int, std::string> run(const std::vector<std::string>& args) {
  Poco::Pipe out;
  auto handle = Poco::Process::launch(kBinary, args, nullptr, &out, &out);
  Poco::PipeInputStream in(out);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  return {handle.wait(), text};
}

TEST(Cli, CheckConfigAcceptsAGoodFile) {
  TempDir dir;
  auto [code, out] = run({"check-config", "--config", TestConfig{}.write(dir)});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find(": OK"), std::string::npos);
}

TEST(Cli, CheckConfigNamesPathAndLineOfEachProblem) {
  TempDir dir;
  std::string yaml = TestConfig{}.yaml(dir);
  yaml += "delivery_typo: true\n";
  yaml.replace(yaml.find("log_link: false"), 15, "log_link: maybe, colour: blue");
  std::string file = dir.file("bad.yaml");
  std::ofstream(file) << yaml;
  auto [code, out] = run({"check-config", "--config", file});
  EXPECT_EQ(code, 1) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(delivery_typo: unknown key \(line \d+\))")))
      << out;
  EXPECT_TRUE(std::regex_search(
      out,
      std::regex(
          R"(delivery\[0\]\.config\.log_link: expected true or false, got "maybe" \(line \d+\))")))
      << out;
  EXPECT_TRUE(std::regex_search(
      out, std::regex(R"(delivery\[0\]\.config\.colour: unknown key for plugin outbox)")))
      << out;
}

// Problems only a plugin's own factory, or opening a store, can find: check-config must find
// them as serve does, all in one run, each on its own line with path and line.
TEST(Cli, CheckConfigCreatesEveryPluginAndOpensEveryStoreAsServeDoes) {
  TempDir dir;
  TestConfig config;
  config.token_config = "{ key_file: @DIR@/link.pem, algorithm: HS256 }";
  config.delivery =
      "  - plugin: outbox\n"
      "    for: email\n"
      "    config: { dir: @DIR@/outbox, log_link: false }\n"
      "  - plugin: sms-http\n"
      "    for: phone\n"
      "    config: { url: \"ftp://gateway.example/send\", body: \"{{text}}\" }\n";
  std::string yaml = config.yaml(dir);
  yaml.replace(yaml.find("/configs/templates }"), 20, "/configs/no-such-templates }");
  const std::string file = dir.file("deploy.yaml");
  std::ofstream(file) << yaml;

  auto [code, out] = run({"check-config", "--config", file});
  EXPECT_EQ(code, 1) << out;
  for (const char* problem : {R"(token: .*algorithm: expected ES256, got "HS256" \(line \d+\))",
                              R"(delivery\[1\]: .*must be http:// or https:// \(line \d+\))",
                              R"(templates\.dir: .*no-such-templates.* \(line \d+\))"}) {
    EXPECT_TRUE(std::regex_search(out, std::regex(file + ": " + problem))) << problem << "\n"
                                                                           << out;
  }
  EXPECT_NE(out.find("4 problem(s) in " + file), std::string::npos)
      << "the template folder's two problems count apart: " << out;

  // serve refuses the same file and says the same, one problem per line.
  auto [serve_code, serve_out] = run({"serve", "--config", file});
  EXPECT_EQ(serve_code, 78) << serve_out;
  EXPECT_NE(serve_out.find("cannot start: 4 problem(s) in " + file), std::string::npos)
      << serve_out;
  for (const char* problem :
       {R"(\[core\] .*token: .*expected ES256, got \\"HS256\\" \(line \d+\)$)",
        R"(\[core\] .*delivery\[1\]: .*must be http:// or https:// \(line \d+\)$)",
        R"(\[core\] .*templates\.dir: .* \(line \d+\)$)"}) {
    EXPECT_TRUE(std::regex_search(
        serve_out, std::regex(problem, std::regex::ECMAScript | std::regex::multiline)))
        << problem << "\n"
        << serve_out;
  }
  EXPECT_EQ(serve_out.find("\\n"), std::string::npos) << "no literal \\n: " << serve_out;
}

TEST(Cli, CheckConfigNamesAMissingPlugin) {
  TempDir dir;
  std::string yaml = TestConfig{}.yaml(dir);
  yaml.replace(yaml.find("plugin: jwt"), 11, "plugin: jwtt");
  std::string file = dir.file("bad.yaml");
  std::ofstream(file) << yaml;
  auto [code, out] = run({"check-config", "--config", file});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("token.plugin: no token plugin \"jwtt\": looked for"), std::string::npos)
      << out;
}

TEST(Cli, PluginsListsKindsNamesAndKeys) {
  TempDir dir;
  auto [code, out] = run({"plugins", "--config", TestConfig{}.write(dir)});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("token  jwt  1.0.0"), std::string::npos) << out;
  EXPECT_NE(out.find("delivery  outbox"), std::string::npos);
  EXPECT_NE(out.find("users  sql"), std::string::npos);
  EXPECT_NE(out.find("key_file (string, default data/keys/link.pem)"), std::string::npos);
}

// `linkgate serve` as a child process: started, its port read from the log, everything it printed
// kept in `output`.
class ServingBinary {
 public:
  explicit ServingBinary(const std::string& config_file)
      : handle_(std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(
            kBinary, {"serve", "--config", config_file}, nullptr, &out_, &out_))),
        in_(out_) {
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    for (std::string line; port.empty() && next_line(line);) {
      std::smatch m;
      if (std::regex_search(line, m, listening)) port = m[1];
    }
  }
  /// Reads one more line of output (false at its end).
  bool next_line(std::string& line) {
    if (!std::getline(in_, line)) return false;
    output += line + "\n";
    return true;
  }
  void signal(int sig) { ::kill(handle_->id(), sig); }
  /// SIGTERM, the rest of the output, and the exit code.
  int stop() {
    signal(SIGTERM);
    for (std::string line; next_line(line);) {
    }
    return handle_->wait();
  }

  std::string port;  // empty if the server never said where it listens
  std::string output;

 private:
  Poco::Pipe out_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  Poco::PipeInputStream in_;
};

TEST(Cli, ServeStartsReloadsOnSighupAndStopsOnSigterm) {
  TempDir dir;
  TestConfig config;
  config.log_level = "info";
  std::string file = config.write(dir);
  ServingBinary server(file);
  ASSERT_FALSE(server.port.empty()) << "the server never said where it listens";
  HttpClient client("http://127.0.0.1:" + server.port);
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(client.post_json("/v1/magic-links", "{\"identifier\":\"cli@example.com\"}").status,
            202);
  auto wait_for = [&server](const std::string& text) {
    for (std::string line; server.next_line(line);) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };

  config.extra = "branding: { title: After Reload }\n";
  std::ofstream(file) << config.yaml(dir);
  server.signal(SIGHUP);
  EXPECT_TRUE(wait_for("configuration reloaded"));
  EXPECT_NE(client.get("/").body.find("After Reload"), std::string::npos);

  std::ofstream(file) << "server: [broken";
  server.signal(SIGHUP);
  EXPECT_TRUE(wait_for("reload refused"));
  EXPECT_EQ(client.get("/healthz").status, 200) << "a bad reload keeps the running configuration";
  EXPECT_EQ(server.stop(), 0);
}

TEST(Cli, LogLinesCarryNoAddressTokenOrCode) {
  TempDir dir;
  TestConfig config;
  config.log_level = "debug";
  ServingBinary server(config.write(dir));
  ASSERT_FALSE(server.port.empty());
  HttpClient client("http://127.0.0.1:" + server.port);
  client.post_json("/v1/magic-links", "{\"identifier\":\"stranger@example.com\"}");
  client.post_json("/v1/magic-links", "{\"identifier\":\"+14155550199\"}");
  client.post_json("/v1/magic-links", "{\"identifier\":\"bad\\r\\n@example.com\"}");
  client.post_json("/v1/magic-links/verify", "{\"token\":\"eyJhbGciOiJFUzI1NiJ9.e30.sig\"}");
  client.post_json("/v1/otp/verify", "{\"flow_id\":\"nope\",\"code\":\"123456\"}");
  // Wait for both deliveries to be logged, so the outbox worker's lines are in too.
  const std::string& log = server.output;
  for (std::string line;
       std::count(log.begin(), log.end(), '\n') < 200 &&
       log.find("delivered by", log.find("delivered by") + 1) == std::string::npos &&
       server.next_line(line);) {
  }
  EXPECT_EQ(server.stop(), 0);
  EXPECT_NE(log.find("delivered by outbox"), std::string::npos) << log;
  for (const char* secret :
       {"stranger", "4155550199", "@example.com", "***", "eyJhbGciOiJFUzI1NiJ9", "123456"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in:\n" << log;
  }
}

// One access line per request, with the id the answer carried; never the query string, where
// a link token travels.
TEST(Cli, EachRequestGetsAnAccessLineUnderItsRequestId) {
  TempDir dir;
  TestConfig config;
  config.log_level = "info";
  ServingBinary server(config.write(dir));
  ASSERT_FALSE(server.port.empty());
  HttpClient client("http://127.0.0.1:" + server.port);
  auto page = client.get("/v1/magic-links/verify?token=SECRETTOKENVALUE1234567890");
  const std::string id = page.header("x-request-id");
  ASSERT_EQ(id.size(), 22u);
  auto health = client.get("/healthz");
  EXPECT_NE(health.header("x-request-id"), id);
  const std::string& log = server.output;
  const std::string wanted =
      "[access] (" + id + ") GET /v1/magic-links/verify " + std::to_string(page.status) + " ";
  for (std::string line;
       log.find(health.header("x-request-id")) == std::string::npos && server.next_line(line);) {
  }
  EXPECT_EQ(server.stop(), 0);
  EXPECT_NE(log.find(wanted), std::string::npos) << wanted << " in:\n" << log;
  EXPECT_NE(log.find("(" + health.header("x-request-id") + ") GET /healthz 200 "),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("SECRETTOKENVALUE"), std::string::npos) << log;
}

TEST(Cli, AMailServersRefusalQuotingTheAddressIsLoggedWithoutIt) {
  TempDir dir;
  TempDir mail_dir;
  SmtpServer smtp(mail_dir, {"--reject-first", "100", "--reject-code", "550"});
  TestConfig config;
  config.log_level = "debug";
  config.delivery = "  - plugin: smtp\n    for: email\n    config: { host: 127.0.0.1, port: " +
                    std::to_string(smtp.port()) +
                    ", tls: none, from: \"Acme <no-reply@acme.example>\", timeout: 3s }\n";
  ServingBinary server(config.write(dir));
  ASSERT_FALSE(server.port.empty());
  HttpClient client("http://127.0.0.1:" + server.port);
  ASSERT_EQ(
      client.post_json("/v1/magic-links", "{\"identifier\":\"quoted.person@example.com\"}").status,
      202);
  const std::string& log = server.output;
  for (std::string line; log.find("is dead") == std::string::npos && server.next_line(line);) {
  }
  EXPECT_EQ(server.stop(), 0);
  EXPECT_NE(log.find("550"), std::string::npos) << "the refusal is logged:\n" << log;
  EXPECT_EQ(log.find("quoted.person"), std::string::npos) << log;
  EXPECT_NE(log.find("[address]"), std::string::npos) << "the server's words, address taken out";
}

TEST(Cli, AnSmsGatewaysRefusalQuotingTheNumberIsLoggedWithoutIt) {
  TempDir dir;
  TempDir requests;
  ChildProcess gateway(system_python(),
                       {std::string(LINKGATE_SOURCE_DIR) + "/tests/tools/sms_gateway.py", "--dir",
                        requests.file("sms"), "--twilio-sid", "AC42", "--twilio-token", "tok",
                        "--fail-first", "100", "--fail-status", "400"});
  TestConfig config;
  config.log_level = "debug";
  config.delivery =
      "  - plugin: sms-http\n    for: phone\n    config: { preset: twilio, account_sid: AC42, "
      "auth_token: tok, from: \"+15550001111\", base_url: \"http://127.0.0.1:" +
      std::to_string(gateway.port()) + "\" }\n";
  ServingBinary server(config.write(dir));
  ASSERT_FALSE(server.port.empty());
  HttpClient client("http://127.0.0.1:" + server.port);
  ASSERT_EQ(client.post_json("/v1/magic-links", "{\"identifier\":\"+1 555 246 8013\"}").status,
            202);
  const std::string& log = server.output;
  for (std::string line; log.find("is dead") == std::string::npos && server.next_line(line);) {
  }
  EXPECT_EQ(server.stop(), 0);
  EXPECT_NE(log.find("21211"), std::string::npos) << "the gateway's answer is logged:\n" << log;
  for (const char* part : {"5552468013", "555 246 8013", "2468013"}) {
    EXPECT_EQ(log.find(part), std::string::npos) << part << " in:\n" << log;
  }
  EXPECT_NE(log.find("[number]"), std::string::npos) << "the gateway's words, number taken out";
}

TEST(Cli, ServeRefusesABrokenPluginFileWithAClearMessage) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "plugins");
  std::ofstream(dir.path() / "plugins/linkgate-token-jwt.so") << "not an ELF file at all";
  std::string yaml = TestConfig{}.yaml(dir);
  yaml.replace(yaml.find(plugin_dir()), std::string(plugin_dir()).size(),
               dir.file("plugins") + ", " + plugin_dir());
  std::string file = dir.file("c.yaml");
  std::ofstream(file) << yaml;
  auto [code, out] = run({"serve", "--config", file});
  EXPECT_NE(code, 0);
  EXPECT_LT(code, 128) << "exited, not killed by a signal";
  EXPECT_NE(out.find("linkgate-token-jwt.so: cannot be loaded as a shared library"),
            std::string::npos)
      << out;
}

TEST(Cli, KeysRotateIsFollowedByARunningServer) {
  TempDir keys;
  TestConfig config;
  config.keys_dir = keys.path().string();
  TestServer server(config);
  auto jwks_kids = [&] {
    auto body = server.client().get("/.well-known/jwks.json").body;
    return std::count(body.begin(), body.end(), '{') - 1;  // one object per key, in one set
  };
  ASSERT_EQ(jwks_kids(), 1);
  auto [code, out] = run({"keys", "rotate", "--config", config.write(keys)});
  ASSERT_EQ(code, 0) << out;
  std::smatch kid;
  ASSERT_TRUE(std::regex_search(out, kid, std::regex("new signing key ([A-Za-z0-9_-]{43})")))
      << out;
  // Within a second or two the running server publishes and signs with the new key.
  bool published = false;
  for (int i = 0; i < 40 && !published; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    published =
        server.client().get("/.well-known/jwks.json").body.find(kid[1].str()) != std::string::npos;
  }
  EXPECT_TRUE(published);
  EXPECT_EQ(jwks_kids(), 2) << "the old key stays until its tokens expire";
  EXPECT_EQ(server.runtime().signing_keys().current()->kid, kid[1].str());
}

TEST(Cli, UnknownCommandPrintsUsage) {
  auto [code, out] = run({"frobnicate"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("usage: linkgate"), std::string::npos);
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

// Every shipped example passes check-config where it runs: examples_test.cpp checks each one
// against real services before serving it.

}  // namespace
}  // namespace linkgate::testing
