// configs/examples/nginx/linkgate.conf is a configuration nginx accepts (`nginx -t`), with a
// certificate of its own and its paths moved into a temporary prefix.

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

namespace fs = std::filesystem;

std::pair<int, std::string> run(const std::string& program, const std::vector<std::string>& args) {
  Poco::Pipe out;
  auto handle = Poco::Process::launch(program, args, nullptr, &out, &out);
  Poco::PipeInputStream stream(out);
  std::string text;
  Poco::StreamCopier::copyToString(stream, text);
  return {handle.wait(), text};
}

// The example with a fresh self-signed certificate (for 127.0.0.1) and its log written into
// @p dir: what is left is what the test changes. "" when openssl failed.
std::string example_in(const fs::path& dir) {
  auto [rc, out] =
      run("/usr/bin/openssl",
          {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", (dir / "key.pem").string(), "-out", (dir / "cert.pem").string(), "-subj",
           "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1"});
  if (rc != 0) return "";
  std::ifstream in(std::string(source_dir()) + "/configs/examples/nginx/linkgate.conf");
  std::stringstream text;
  text << in.rdbuf();
  std::string conf = text.str();
  conf = std::regex_replace(conf, std::regex("/etc/ssl/certs/id\\.example\\.com\\.pem"),
                            (dir / "cert.pem").string());
  conf = std::regex_replace(conf, std::regex("/etc/ssl/private/id\\.example\\.com\\.key"),
                            (dir / "key.pem").string());
  return std::regex_replace(conf, std::regex("/var/log/nginx/"), dir.string() + "/");
}

// nginx running in the foreground; stopped with SIGTERM, so its master stops the workers too
// (SIGKILL would orphan them), whatever way the test ends.
struct RunningNginx {
  explicit RunningNginx(const Poco::ProcessHandle& started) : handle(started) {}
  RunningNginx(const RunningNginx&) = delete;
  RunningNginx& operator=(const RunningNginx&) = delete;
  Poco::ProcessHandle handle;
  ~RunningNginx() {
    ::kill(handle.id(), SIGTERM);
    try {
      handle.wait();
    } catch (...) {
      // Already reaped.
    }
  }
};

TEST(Nginx, TheReverseProxyExamplePassesNginxTest) {
  if (!fs::exists("/usr/sbin/nginx")) {
    GTEST_SKIP() << "nginx is not installed (scripts/setup installs nginx-light)";
  }
  TempDir dir;
  const fs::path p = dir.path();
  std::string conf = example_in(p);
  ASSERT_FALSE(conf.empty()) << "openssl could not make a certificate";
  for (const char* needed : {"proxy_set_header X-Forwarded-For", "proxy_set_header X-Request-Id",
                             "client_max_body_size 16k", "location = /metrics"}) {
    EXPECT_NE(conf.find(needed), std::string::npos) << needed;
  }
  std::ofstream(p / "linkgate.conf") << conf;
  auto main_conf = [&](const std::string& site) {
    std::ofstream(p / "nginx.conf") << "pid " << (p / "nginx.pid").string() << ";\n"
                                    << "error_log " << (p / "error.log").string() << ";\n"
                                    << "events {}\nhttp {\n  include " << site << ";\n}\n";
  };
  main_conf((p / "linkgate.conf").string());
  auto [rc, out] =
      run("/usr/sbin/nginx", {"-t", "-p", p.string(), "-c", (p / "nginx.conf").string()});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("test is successful"), std::string::npos) << out;

  // The check catches a broken file.
  std::ofstream(p / "broken.conf")
      << std::regex_replace(conf, std::regex("keepalive 32;"), "keepalive 32");
  main_conf((p / "broken.conf").string());
  auto [bad_rc, bad_out] =
      run("/usr/sbin/nginx", {"-t", "-p", p.string(), "-c", (p / "nginx.conf").string()});
  EXPECT_NE(bad_rc, 0) << bad_out;
}

// The example in front of a running linkgate: TLS at nginx, the sign-in answered through it, and
// linkgate keeping the id nginx gave the request (it trusts 127.0.0.1 as its proxy).
TEST(Nginx, ASignInThroughTheExampleProxyKeepsNginxsRequestId) {
  if (!fs::exists("/usr/sbin/nginx")) {
    GTEST_SKIP() << "nginx is not installed (scripts/setup installs nginx-light)";
  }
  TestConfig config;
  config.server_extra = "  trusted_proxies: [127.0.0.1]\n";
  TestServer linkgate(config);
  const std::string upstream = linkgate.base_url().substr(linkgate.base_url().rfind(':') + 1);

  TempDir dir;
  const fs::path p = dir.path();
  std::string conf = example_in(p);
  ASSERT_FALSE(conf.empty()) << "openssl could not make a certificate";
  const std::string http_port = std::to_string(free_port());
  const std::string https_port = std::to_string(free_port());
  conf = std::regex_replace(conf, std::regex("server 127\\.0\\.0\\.1:8080;"),
                            "server 127.0.0.1:" + upstream + ";");
  conf = std::regex_replace(conf, std::regex("listen \\[::\\]:(80|443)[^;]*;"), "");
  conf = std::regex_replace(conf, std::regex("listen 80;"), "listen 127.0.0.1:" + http_port + ";");
  conf = std::regex_replace(conf, std::regex("listen 443 ssl http2;"),
                            "listen 127.0.0.1:" + https_port + " ssl;");
  std::ofstream(p / "linkgate.conf") << conf;
  std::ofstream(p / "nginx.conf") << "pid " << (p / "nginx.pid").string() << ";\n"
                                  << "error_log " << (p / "error.log").string() << ";\n"
                                  << "daemon off;\nevents {}\nhttp {\n"
                                  << "  client_body_temp_path " << p.string() << ";\n"
                                  << "  proxy_temp_path " << p.string() << ";\n"
                                  << "  include " << (p / "linkgate.conf").string() << ";\n}\n";
  std::optional<RunningNginx> nginx;
  nginx.emplace(Poco::Process::launch("/usr/sbin/nginx",
                                      {"-p", p.string(), "-c", (p / "nginx.conf").string()}));
  HttpClient client("https://127.0.0.1:" + https_port);
  client.ca_file = (p / "cert.pem").string();
  Reply r;
  for (int i = 0; i < 100 && r.status == 0; ++i) {
    try {
      r = client.post_json("/v1/magic-links", R"({"identifier":"proxied@example.com"})");
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // nginx still starting
    }
  }
  EXPECT_EQ(r.status, 202) << r.body;
  // nginx's $request_id is 32 hex digits; linkgate's own would be 22 base64url characters.
  EXPECT_TRUE(std::regex_match(r.header("x-request-id"), std::regex("[0-9a-f]{32}")))
      << r.header("x-request-id");
  auto metrics = client.get("/metrics");
  EXPECT_EQ(metrics.status, 404) << "monitoring is not published through the proxy";
  nginx.reset();  // its access log is complete once it has stopped
  const std::string access = [&] {
    std::ifstream log(p / "linkgate.access.log");
    std::stringstream all;
    all << log.rdbuf();
    return all.str();
  }();
  EXPECT_NE(access.find("\"POST /v1/magic-links\" 202"), std::string::npos) << access;
}

}  // namespace
}  // namespace linkgate::testing
