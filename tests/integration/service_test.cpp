// linkgate as an installed service: the FHS layout `cmake --install` lays out serves a sign-in
// from the installed files alone; the systemd unit passes `systemd-analyze verify`; the server
// tells systemd (Type=notify) when it is ready, reloading and stopping.

#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "linkgate/sdk/version.h"
#include "support/json_fields.h"
#include "support/server_process.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A program's exit code and everything it printed.
std::pair<int, std::string> run(const std::string& program, const std::vector<std::string>& args,
                                const Poco::Process::Env& env = {}) {
  Poco::Pipe out;
  auto handle = Poco::Process::launch(program, args, ".", nullptr, &out, &out, env);
  Poco::PipeInputStream stream(out);
  std::string text;
  Poco::StreamCopier::copyToString(stream, text);
  return {handle.wait(), text};
}

std::string build_dir() {
  return fs::path(LINKGATE_BINARY).parent_path().string();
}

// The install prefix the build was configured with (the installed configuration names it).
std::string install_prefix() {
  std::ifstream cache(build_dir() + "/CMakeCache.txt");
  for (std::string line; std::getline(cache, line);) {
    if (line.rfind("CMAKE_INSTALL_PREFIX:", 0) == 0) return line.substr(line.find('=') + 1);
  }
  return "/usr/local";
}

// Serves a sign-in from the files under @p root alone: the installed configuration @p installed
// with its absolute paths moved under the root (what `dpkg -x` gives) and its data_dir to a
// state folder, run from another folder; requests a link and redeems it.
void signs_in_from(const fs::path& root, const std::string& prefix, const std::string& installed,
                   const TempDir& dir) {
  std::string config = std::regex_replace(installed, std::regex("(\\[|dir: )/" + prefix + "/"),
                                          "$1" + root.string() + "/" + prefix + "/");
  config =
      std::regex_replace(config, std::regex("listen: 127\\.0\\.0\\.1:8080"), "listen: 127.0.0.1:0");
  const fs::path state = dir.path() / "var-lib-linkgate";
  fs::create_directories(state);
  ASSERT_NE(config.find("\ndata_dir: /var/lib/linkgate\n"), std::string::npos) << config;
  config = std::regex_replace(config, std::regex("\ndata_dir: /var/lib/linkgate\n"),
                              "\ndata_dir: " + state.string() + "\n");
  const fs::path elsewhere = dir.path() / "elsewhere";
  fs::create_directories(elsewhere);
  const fs::path config_file = dir.path() / "linkgate.yaml";
  std::ofstream(config_file) << config;
  ServerProcess server((root / prefix / "bin/linkgate").string(), config_file.string(),
                       elsewhere.string());
  ASSERT_FALSE(server.port().empty()) << server.output();
  HttpClient client("http://127.0.0.1:" + server.port());
  ASSERT_EQ(client.post_json("/v1/magic-links", R"({"identifier":"installed@example.com"})").status,
            202);
  std::string link;
  for (int i = 0; i < 100 && link.empty(); ++i) {
    if (fs::exists(state / "data/outbox")) {
      for (const auto& f : fs::directory_iterator(state / "data/outbox")) {
        // Written as a temporary file, then renamed: only whole messages end in .json.
        if (f.path().extension() == ".json") {
          link = json(read_file(f.path()))->getValue<std::string>("link");
        }
      }
    }
    if (link.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(link.empty()) << "no message in " << (state / "data/outbox");
  const std::string token = link.substr(link.find("token=") + 6);
  auto in = client.post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  EXPECT_EQ(in.status, 200) << in.body;
  EXPECT_TRUE(fs::exists(state / "data/keys")) << "state lands in data_dir";
  EXPECT_TRUE(fs::is_empty(elsewhere)) << "nothing lands in the working directory";
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

// The build links the server with tcmalloc (LINKGATE_TCMALLOC, docs/performance.md): a linker
// that drops a library nothing names would leave it on glibc's malloc without a word.
TEST(Service, TheServerAllocatesThroughTcmallocWhenBuiltWithIt) {
  if (!LINKGATE_WITH_TCMALLOC) GTEST_SKIP() << "built with LINKGATE_TCMALLOC=OFF";
  TempDir dir;
  TestConfig config;
  config.log_level = "info";
  ServerProcess server(LINKGATE_BINARY, config.write(dir));
  ASSERT_FALSE(server.port().empty()) << server.output();
  const std::string maps = read_file("/proc/" + std::to_string(server.pid()) + "/maps");
  EXPECT_NE(maps.find("libtcmalloc_minimal.so"), std::string::npos) << maps;
  HttpClient client("http://127.0.0.1:" + server.port());
  EXPECT_EQ(client.post_json("/v1/magic-links", "{\"identifier\":\"heap@example.com\"}").status,
            202);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

TEST(Install, TheFhsLayoutServesASignInFromTheInstalledFilesAlone) {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  Poco::Process::Env env{{"DESTDIR", root.string()}};
  auto [rc, out] = run("/usr/bin/cmake", {"--install", build_dir()}, env);
  ASSERT_EQ(rc, 0) << out;

  // Where everything went: under the prefix, the configuration in its etc (/etc for /usr).
  const std::string prefix = install_prefix().substr(1);
  const std::string etc = prefix == "usr" ? "etc" : prefix + "/etc";
  std::string libdir;
  for (const auto& candidate : {"/lib/x86_64-linux-gnu", "/lib64", "/lib"}) {
    if (fs::exists(root / (prefix + candidate) / "linkgate/plugins")) {
      libdir = prefix + candidate;
      break;
    }
  }
  ASSERT_FALSE(libdir.empty()) << out;
  for (const auto& file :
       {prefix + "/bin/linkgate", libdir + "/linkgate/plugins/linkgate-token-jwt.so",
        libdir + "/linkgate/plugins/linkgate-delivery-smtp.so",
        libdir + "/linkgate/plugins/linkgate-users-sql.so", etc + "/linkgate/linkgate.yaml",
        prefix + "/share/linkgate/templates/en/email.subject",
        prefix + "/lib/systemd/system/linkgate.service",
        prefix + "/share/doc/linkgate/openapi.yaml"}) {
    EXPECT_TRUE(fs::exists(root / file)) << file;
  }
  EXPECT_EQ(fs::status(root / etc / "linkgate/linkgate.yaml").permissions() & fs::perms::others_all,
            fs::perms::none)
      << "the configuration may hold secrets";
  const std::string installed = read_file(root / etc / "linkgate/linkgate.yaml");
  EXPECT_NE(installed.find("/" + prefix + "/share/linkgate/templates"), std::string::npos)
      << installed;
  EXPECT_NE(installed.find("/" + libdir + "/linkgate/plugins"), std::string::npos) << installed;
  EXPECT_EQ(installed.find("build/"), std::string::npos) << "nothing from the build folder";

  signs_in_from(root, prefix, installed, dir);
}

TEST(Package, TheDebHasItsDependsConffileAndUnitPassesLintianAndServesASignIn) {
  TempDir dir;
  auto [rc, out] =
      run("/usr/bin/cpack", {"-G", "DEB", "--config", build_dir() + "/CPackConfig.cmake", "-B",
                             (dir.path() / "pkg").string()});
  ASSERT_EQ(rc, 0) << out;
  fs::path deb;
  for (const auto& f : fs::directory_iterator(dir.path() / "pkg")) {
    if (f.path().extension() == ".deb") deb = f.path();
  }
  ASSERT_FALSE(deb.empty()) << out;
  EXPECT_EQ(deb.filename().string().rfind("linkgate_" LINKGATE_SDK_VERSION "_", 0), 0u) << deb;

  auto [info_rc, info] = run("/usr/bin/dpkg-deb", {"--info", deb.string()});
  ASSERT_EQ(info_rc, 0) << info;
  for (const char* needed :
       {"Package: linkgate", "adduser", "libpocofoundation80", "libpoconetssl80", "libyaml-cpp0.7",
        "libssl3", "libgmp10", "conffiles", "postinst"}) {
    EXPECT_NE(info.find(needed), std::string::npos) << needed << "\n" << info;
  }
  if (LINKGATE_WITH_TCMALLOC) {
    EXPECT_NE(info.find("libtcmalloc-minimal4"), std::string::npos) << "the allocator\n" << info;
  }
  auto [conf_rc, conffiles] = run("/usr/bin/dpkg-deb", {"--ctrl-tarfile", deb.string()});
  EXPECT_NE(conffiles.find("/etc/linkgate/linkgate.yaml"), std::string::npos);
  auto [list_rc, contents] = run("/usr/bin/dpkg-deb", {"--contents", deb.string()});
  for (const char* file :
       {"./usr/bin/linkgate", "./etc/linkgate/linkgate.yaml",
        "./usr/lib/systemd/system/linkgate.service", "./usr/share/doc/linkgate/copyright"}) {
    EXPECT_NE(contents.find(file), std::string::npos) << file;
  }
  EXPECT_NE(contents.find("-rw-r----- root/root"), std::string::npos) << "the config is 0640";

  if (fs::exists("/usr/bin/lintian")) {
    auto [lint_rc, lint] = run("/usr/bin/lintian", {deb.string()});
    // Errors fail; the two warnings kept on purpose are the configuration's 0640 (it may hold
    // secrets) and the missing manual page (`linkgate --help` is the manual).
    std::istringstream lines(lint);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_NE(line.rfind("E: ", 0), 0u) << line;
    }
  } else {
    std::cout << "lintian is not installed: the package was not linted\n";
  }

  const fs::path root = dir.path() / "root";
  auto [x_rc, x_out] = run("/usr/bin/dpkg-deb", {"-x", deb.string(), root.string()});
  ASSERT_EQ(x_rc, 0) << x_out;
  signs_in_from(root, "usr", read_file(root / "etc/linkgate/linkgate.yaml"), dir);
}

TEST(Service, TheUnitPassesSystemdAnalyzeVerify) {
  if (!fs::exists("/usr/bin/systemd-analyze")) {
    GTEST_SKIP() << "systemd-analyze is not installed (scripts/setup installs it)";
  }
  TempDir dir;
  // The unit as installed, pointed at this build's binary (verify checks ExecStart exists).
  std::string unit = read_file(fs::path(source_dir()) / "packaging/systemd/linkgate.service");
  ASSERT_NE(unit.find("Type=notify"), std::string::npos);
  ASSERT_NE(unit.find("ExecReload=/bin/kill -HUP $MAINPID"), std::string::npos);
  unit = std::regex_replace(unit, std::regex("/usr/bin/linkgate"), LINKGATE_BINARY);
  const fs::path file = dir.path() / "linkgate.service";
  std::ofstream(file) << unit;
  auto [rc, out] = run("/usr/bin/systemd-analyze", {"verify", "--man=no", file.string()});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << "every line systemd-analyze prints is a problem";
  // A mistake in a hardening line is caught (systemd ignores it and says so).
  std::ofstream(file) << std::regex_replace(unit, std::regex("ProtectSystem=strict"),
                                            "ProtectSystem=stricter");
  auto [bad_rc, bad_out] = run("/usr/bin/systemd-analyze", {"verify", "--man=no", file.string()});
  EXPECT_NE(bad_out, "") << bad_rc;
}

// The service manager's end of sd_notify: a datagram socket, as systemd makes for Type=notify.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::runtime_error("bind " + path);
    }
    timeval timeout{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~NotifySocket() { ::close(fd_); }
  /// The next datagram, or "" after 20 s.
  std::string next() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(Service, TellsTheServiceManagerWhenReadyReloadingAndStopping) {
  TempDir dir;
  NotifySocket manager(dir.file("notify.sock"));
  TestConfig config;
  config.log_level = "info";  // the "listening on" line
  const std::string file = config.write(dir);
  ServerProcess server(LINKGATE_BINARY, file, dir.path().string(),
                       {{"NOTIFY_SOCKET", dir.file("notify.sock")}});
  ASSERT_FALSE(server.port().empty()) << server.output();
  const std::string ready = manager.next();
  EXPECT_EQ(ready.rfind("READY=1\nSTATUS=serving on ", 0), 0u) << ready;
  // It is ready when it says so: a sign-in is accepted at once.
  HttpClient client("http://127.0.0.1:" + server.port());
  EXPECT_EQ(client.post_json("/v1/magic-links", R"({"identifier":"notify@example.com"})").status,
            202);

  server.signal(SIGHUP);
  const std::string reloading = manager.next();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  const std::string again = manager.next();
  EXPECT_EQ(again.rfind("READY=1\n", 0), 0u) << again;
  EXPECT_NE(again.find("configuration reloaded"), std::string::npos) << again;

  // A reload the server refuses still ends in READY=1, saying so.
  std::ofstream(file, std::ios::app) << "bogus_key: 1\n";
  server.signal(SIGHUP);
  EXPECT_EQ(manager.next().rfind("RELOADING=1", 0), 0u);
  const std::string refused = manager.next();
  EXPECT_NE(refused.find("reload refused"), std::string::npos) << refused;

  server.signal(SIGTERM);
  EXPECT_EQ(manager.next(), "STOPPING=1");
  EXPECT_EQ(server.wait(), 0);
}

}  // namespace
}  // namespace linkgate::testing
