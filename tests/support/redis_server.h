#pragma once
// A real redis-server for the tests: one per test process, on a free loopback port, with no
// persistence, stopped when the process exits.

#include <memory>
#include <string>

namespace linkgate::testing {

class RedisServer {
 public:
  static RedisServer& shared();
  ~RedisServer();
  [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int port() const { return port_; }

 private:
  RedisServer();
  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
};

}  // namespace linkgate::testing
