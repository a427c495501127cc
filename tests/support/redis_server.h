#pragma once
// A real redis-server for the tests: one per test process, on a free loopback port, with no
// persistence, stopped when the process exits.

#include <memory>
#include <string>

namespace linkgate::testing {

class RedisServer {
 public:
  /// Plain, no password.
  static RedisServer& shared();
  /// TLS only (a private CA, see ca_file()), the default user off and one ACL user,
  /// `linkgate` with password kPassword — as a production Redis would be.
  static RedisServer& secured();
  ~RedisServer();
  static constexpr const char* kPassword = "p@ss word:/%";
  /// Plain: redis://127.0.0.1:PORT. Secured: rediss://linkgate:<password>@localhost:PORT
  /// ?ca_file=... (the password percent-encoded).
  [[nodiscard]] std::string url() const;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string ca_file() const { return dir_ + "/certs/ca.pem"; }

 private:
  explicit RedisServer(bool secured);
  bool secured_ = false;
  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
};

}  // namespace linkgate::testing
