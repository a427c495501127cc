#pragma once
// A real PostgreSQL 15 for the tests: started once per test process (initdb + pg_ctl on a free
// loopback port in a temp folder, as the `postgres` user when running as root, since PostgreSQL
// refuses root), stopped when the process exits. Each test takes a fresh database.

#include <memory>
#include <string>

#include "sql/database.h"
#include "support/temp_dir.h"

namespace linkgate::testing {

class PostgresServer {
 public:
  /// The process's server, started on first use. Throws std::runtime_error if it cannot start.
  static PostgresServer& shared();
  ~PostgresServer();

  /// Creates an empty database and returns its URL (`postgresql://postgres@127.0.0.1:PORT/NAME`).
  std::string fresh_database();
  [[nodiscard]] int port() const { return port_; }

 private:
  PostgresServer();
  std::string dir_;
  int port_ = 0;
  int databases_ = 0;
};

/// A fresh empty database of @p backend ("sqlite" in @p dir, or "postgresql").
std::shared_ptr<linkgate::sql::Database> open_test_database(const std::string& backend,
                                                            const TempDir& dir);

}  // namespace linkgate::testing
