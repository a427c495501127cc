#include "support/redis_server.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "support/child_process.h"

namespace linkgate::testing {

RedisServer& RedisServer::shared() {
  static std::unique_ptr<RedisServer> server(new RedisServer());
  return *server;
}

RedisServer::RedisServer() {
  std::string pattern = (std::filesystem::temp_directory_path() / "linkgate-redis-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  port_ = free_port();
  auto handle =
      Poco::Process::launch("/usr/bin/redis-server",
                            {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", dir_, "--logfile", dir_ + "/log"});
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
