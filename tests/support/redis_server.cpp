#include "support/redis_server.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <Poco/URI.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/child_process.h"
#include "support/test_server.h"

namespace linkgate::testing {

RedisServer& RedisServer::shared() {
  static std::unique_ptr<RedisServer> server(new RedisServer(false));
  return *server;
}

RedisServer& RedisServer::secured() {
  static std::unique_ptr<RedisServer> server(new RedisServer(true));
  return *server;
}

std::string RedisServer::url() const {
  if (!secured_) return "redis://127.0.0.1:" + std::to_string(port_);
  std::string password;
  Poco::URI::encode(kPassword, ":/@%?#&=+ ", password);
  return "rediss://linkgate:" + password + "@localhost:" + std::to_string(port_) +
         "?ca_file=" + ca_file();
}

RedisServer::RedisServer(bool secured) : secured_(secured) {
  std::string pattern = (std::filesystem::temp_directory_path() / "linkgate-redis-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  port_ = free_port();
  std::vector<std::string> args{"--save", "",   "--appendonly", "no",
                                "--dir",  dir_, "--logfile",    dir_ + "/log"};
  if (secured) {
    auto [rc, out] = run_python(
        std::string(LINKGATE_SOURCE_DIR) + "/tests/tools/test_certificates.py", {dir_ + "/certs"});
    if (rc != 0) throw std::runtime_error("test certificates: " + out);
    // A config file: the password holds characters a command line would split or eat.
    std::ofstream conf(dir_ + "/redis.conf");
    // Also on 127.0.0.2, which the certificate does not name.
    conf << "bind 127.0.0.1 127.0.0.2\nport 0\ntls-port " << port_ << "\ntls-cert-file " << dir_
         << "/certs/cert.pem\n"
         << "tls-key-file " << dir_ << "/certs/key.pem\ntls-ca-cert-file " << dir_
         << "/certs/ca.pem\ntls-auth-clients no\nuser default off\n"
         << "user linkgate on \">" << kPassword << "\" ~* &* +@all\n";
    conf.close();
    args.insert(args.begin(), dir_ + "/redis.conf");
  } else {
    args.insert(args.begin(), {"--port", std::to_string(port_), "--bind", "127.0.0.1"});
  }
  auto handle = Poco::Process::launch("/usr/bin/redis-server", args);
  pid_ = handle.id();
  for (int i = 0; i < 200; ++i) {
    try {
      Poco::Net::StreamSocket probe(
          Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
      return;
    } catch (const Poco::Exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

RedisServer::~RedisServer() {
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace linkgate::testing
