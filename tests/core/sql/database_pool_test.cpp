// The Database's own connection pool: a connection the server ended is not lent again, and a
// lease given back inside a transaction has it rolled back before the next borrower.
#include <Poco/Exception.h>
#include <gtest/gtest.h>

#include "sql/database.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace linkgate::sql {
namespace {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

TEST(DatabasePool, AConnectionItsServerEndedIsReplaced) {
  const std::string url = testing::PostgresServer::shared().fresh_database();
  auto db = Database::open(url, 1);
  auto backend_of_a_lease = [&] {
    auto lease = db->session();
    int pid = 0;
    *lease << "SELECT pg_backend_pid()", into(pid), now;
    return pid;
  };
  const int first = backend_of_a_lease();
  {
    auto other = Database::open(url, 1);
    auto lease = other->session();
    bool ended = false;
    *lease << "SELECT pg_terminate_backend(" + std::to_string(first) + ")", into(ended), now;
    ASSERT_TRUE(ended);
  }
  // The pool's only connection is dead. At most the first use finds out (that request fails,
  // as any would whose connection dropped); the connection is then dropped, not lent again.
  int pid = 0, failures = 0;
  for (int attempt = 0; attempt < 3 && pid == 0; ++attempt) {
    try {
      pid = backend_of_a_lease();
    } catch (const Poco::Exception&) {
      ++failures;
    }
  }
  EXPECT_NE(pid, 0);
  EXPECT_NE(pid, first);
  EXPECT_LE(failures, 1);
}

TEST(DatabasePool, ALeaseGivenBackInATransactionIsRolledBack) {
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("pool.db"), 1);
  {
    auto lease = db->session();
    *lease << "CREATE TABLE t (n INTEGER)", now;
  }
  {
    auto lease = db->session();
    lease->begin();
    *lease << "INSERT INTO t VALUES (1)", now;
  }                            // given back without a commit
  auto lease = db->session();  // the same connection: the pool holds one
  EXPECT_FALSE(lease->isTransaction());
  int rows = -1;
  *lease << "SELECT COUNT(*) FROM t", into(rows), now;
  EXPECT_EQ(rows, 0);
}

}  // namespace
}  // namespace linkgate::sql
