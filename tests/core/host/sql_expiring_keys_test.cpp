// The replay cache and revocation list in the core's database, on SQLite and PostgreSQL: what
// security.store: memory now means for them.

#include "host/sql_expiring_keys.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "host/host_services.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace linkgate::host {
namespace {

class SqlExpiringKeysTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string url() {
    if (url_.empty()) {
      url_ = GetParam() == "sqlite" ? "sqlite:" + dir_.file("core.db")
                                    : testing::PostgresServer::shared().fresh_database();
    }
    return url_;
  }
  std::shared_ptr<sql::Database> open() { return sql::Database::open(url()); }

  testing::TempDir dir_;
  std::string url_;
  ManualClock clock_;
};

TEST_P(SqlExpiringKeysTest, InsertsOnceAndSurvivesAReopen) {
  const std::int64_t later = clock_.now_seconds() + 600;
  {
    SqlExpiringKeys keys(open(), clock_);
    EXPECT_FALSE(keys.contains("jti:a").value());
    EXPECT_TRUE(keys.insert_if_absent("jti:a", later).value());
    EXPECT_FALSE(keys.insert_if_absent("jti:a", later).value());
    EXPECT_TRUE(keys.contains("jti:a").value());
  }
  // A restart: a new database handle (a new process would see the same file or server).
  SqlExpiringKeys again(open(), clock_);
  EXPECT_TRUE(again.contains("jti:a").value());
  EXPECT_FALSE(again.insert_if_absent("jti:a", later).value());
  EXPECT_FALSE(again.contains("jti:b").value());
}

TEST_P(SqlExpiringKeysTest, AnExpiredKeyIsFreeAgain) {
  SqlExpiringKeys keys(open(), clock_);
  EXPECT_TRUE(keys.insert_if_absent("k", clock_.now_seconds() + 10).value());
  clock_.advance(std::chrono::seconds(10));
  EXPECT_FALSE(keys.contains("k").value());
  EXPECT_TRUE(keys.insert_if_absent("k", clock_.now_seconds() + 10).value());
  EXPECT_TRUE(keys.contains("k").value());
}

TEST_P(SqlExpiringKeysTest, ConcurrentInsertsFromTwoHandlesHaveOneWinner) {
  // Two handles stand for two instances sharing the database.
  SqlExpiringKeys a(open(), clock_), b(open(), clock_);
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      auto& keys = i % 2 == 0 ? a : b;
      won += keys.insert_if_absent("race", clock_.now_seconds() + 60).value() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Databases, SqlExpiringKeysTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace linkgate::host
