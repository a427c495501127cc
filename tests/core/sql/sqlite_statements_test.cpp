// Prepared statements kept per SQLite connection: reused across executions (reset and unbound
// after each), errors reported as Poco exceptions, the writer's own reachable only from its work.
#include "sql/sqlite_statements.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "sql/database.h"
#include "support/temp_dir.h"

namespace linkgate::sql {
namespace {

using Poco::Data::Keywords::now;

struct Keys {
  testing::TempDir dir;
  std::shared_ptr<Database> db = Database::open("sqlite:" + dir.file("s.db"));
  Keys() {
    auto lease = db->session();
    *lease << "CREATE TABLE k (name TEXT PRIMARY KEY, n INTEGER, note TEXT)", now;
  }
};

TEST(SqliteStatements, AStatementIsPreparedOnceAndReusedWithFreshBindings) {
  Keys keys;
  auto lease = keys.db->session();
  ASSERT_NE(lease.statements(), nullptr);
  const std::string insert = "INSERT INTO k (name, n, note) VALUES (?, ?, ?)";
  sqlite3_stmt* first = nullptr;
  for (int i = 0; i < 3; ++i) {
    auto use = lease.statements()->use(insert);
    use.bind("key" + std::to_string(i)).bind(std::int64_t{i * 10});
    // The third parameter is left unbound: NULL, not the previous execution's value.
    if (i == 0) use.bind("only the first");
    use.run();
    EXPECT_EQ(use.changes(), 1);
  }
  // One prepared statement for the three executions.
  first = sqlite3_next_stmt(Poco::Data::SQLite::Utility::dbHandle(*lease), nullptr);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(sqlite3_next_stmt(Poco::Data::SQLite::Utility::dbHandle(*lease), first), nullptr);

  auto select = lease.statements()->use("SELECT n, note FROM k WHERE name = ?");
  select.bind("key2");
  ASSERT_TRUE(select.next_row());
  EXPECT_EQ(select.int64(0), 20);
  EXPECT_TRUE(select.is_null(1));
  EXPECT_EQ(select.text(1), "");
  EXPECT_FALSE(select.next_row());
}

TEST(SqliteStatements, ANullIsBoundInItsPlace) {
  Keys keys;
  auto lease = keys.db->session();
  auto& statements = *lease.statements();
  statements.use("INSERT INTO k (name, n, note) VALUES (?, ?, ?)")
      .bind("a")
      .bind_null()
      .bind("after the null")
      .run();
  auto select = statements.use("SELECT n, note FROM k WHERE name = ?");
  select.bind("a");
  ASSERT_TRUE(select.next_row());
  EXPECT_TRUE(select.is_null(0));
  EXPECT_EQ(select.text(1), "after the null") << "the next value went to the next parameter";
}

TEST(SqliteStatements, ErrorsAreExceptionsAndTheStatementStaysUsable) {
  Keys keys;
  auto lease = keys.db->session();
  auto& statements = *lease.statements();
  EXPECT_THROW(statements.use("SELECT nothing FROM nowhere"), Poco::Data::DataException);
  const std::string insert = "INSERT INTO k (name) VALUES (?)";
  statements.use(insert).bind("a").run();
  EXPECT_THROW(statements.use(insert).bind("a").run(), Poco::Data::DataException);  // duplicate
  statements.use(insert).bind("b").run();
  auto count = statements.use("SELECT COUNT(*) FROM k");
  ASSERT_TRUE(count.next_row());
  EXPECT_EQ(count.int64(0), 2);
}

TEST(SqliteStatements, TheWritersStatementsAreReachableOnlyFromItsOwnWork) {
  Keys keys;
  Keys other;
  bool inside = false, other_session = true;
  keys.db->write([&](Poco::Data::Session& s) {
    inside = GroupCommit::statements_for(s) != nullptr;
    auto lease = other.db->session();  // a connection that is not this writer's
    other_session = GroupCommit::statements_for(*lease) != nullptr;
    GroupCommit::statements_for(s)->use("INSERT INTO k (name) VALUES (?)").bind("w").run();
  });
  EXPECT_TRUE(inside);
  EXPECT_FALSE(other_session);
  auto lease = keys.db->session();
  EXPECT_EQ(GroupCommit::statements_for(*lease), nullptr) << "not on the writer's thread";
  auto count = lease.statements()->use("SELECT COUNT(*) FROM k WHERE name = 'w'");
  ASSERT_TRUE(count.next_row());
  EXPECT_EQ(count.int64(0), 1) << "committed";
}

}  // namespace
}  // namespace linkgate::sql
