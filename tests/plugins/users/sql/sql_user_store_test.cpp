#include "sql_user_store.h"
#include "sql_config.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "support/postgres_server.h"
#include "support/query_plan.h"
#include "support/temp_dir.h"
#include "support/test_services.h"

namespace linkgate::plugins::sql {
namespace {

class SqlUserStoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  SqlSettings settings() {
    const std::string connector = GetParam();
    if (connector == "postgresql" && pg_url.empty()) {
      pg_url = linkgate::testing::PostgresServer::shared().fresh_database();
    }
    SqlSettings s =
        settings_with({{"connector", connector},
                       {"database", connector == "postgresql" ? pg_url : dir.file("users.db")}});
    return s;
  }
  std::string pg_url;
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
};

TEST_P(SqlUserStoreTest, CreatesFindsAndGetsUsers) {
  SqlUserStore store(settings(), *services.host);
  const sdk::Identifier alice{sdk::AddressKind::email, "alice@example.com"};
  EXPECT_EQ(store.find(alice).code(), sdk::ErrorCode::not_found);
  auto created = store.create(alice);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->email, "alice@example.com");
  EXPECT_EQ(created->id.rfind("usr_", 0), 0u);
  EXPECT_EQ(store.find(alice)->id, created->id);
  EXPECT_EQ(store.get(created->id)->email, "alice@example.com");
  EXPECT_EQ(store.get("usr_nobody").code(), sdk::ErrorCode::not_found);
  EXPECT_TRUE(store.ready().ok());
}

TEST_P(SqlUserStoreTest, PhoneUsersAreSeparateFromEmailUsers) {
  SqlUserStore store(settings(), *services.host);
  auto phone = store.create({sdk::AddressKind::phone, "+15551234567"});
  ASSERT_TRUE(phone.ok());
  EXPECT_EQ(phone->phone, "+15551234567");
  EXPECT_TRUE(phone->email.empty());
  EXPECT_EQ(store.find({sdk::AddressKind::email, "+15551234567"}).code(),
            sdk::ErrorCode::not_found);
}

TEST_P(SqlUserStoreTest, SurvivesARestart) {
  std::string id;
  {
    SqlUserStore store(settings(), *services.host);
    id = store.create({sdk::AddressKind::email, "a@example.com"})->id;
  }
  SqlUserStore again(settings(), *services.host);
  EXPECT_EQ(again.find({sdk::AddressKind::email, "a@example.com"})->id, id);
}

TEST_P(SqlUserStoreTest, ConcurrentCreatesOfOneIdentifierYieldOneUser) {
  SqlUserStore store(settings(), *services.host);
  std::mutex mutex;
  std::set<std::string> ids;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto u = store.create({sdk::AddressKind::email, "race@example.com"});
      std::lock_guard lock(mutex);
      if (u.ok()) {
        ids.insert(u->id);
      } else {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(ids.size(), 1u);
}

TEST_P(SqlUserStoreTest, EveryStatementFindsItsRowsThroughAnIndex) {
  SqlUserStore store(settings(), *services.host);
  auto& db = store.database();
  const auto unindexed =
      linkgate::testing::plan_of(db, db.sql("SELECT id FROM lg_users WHERE locale = ?"));
  EXPECT_TRUE(linkgate::testing::scans_whole_table(unindexed, "lg_users")) << unindexed;
  for (const auto& [name, statement] : store.statements()) {
    if (name == "insert") continue;  // no rows to find (the conflict check is the unique index)
    const auto plan = linkgate::testing::plan_of(db, statement);
    ASSERT_FALSE(plan.empty()) << name;
    EXPECT_FALSE(linkgate::testing::scans_whole_table(plan, "lg_users")) << name << ":\n" << plan;
  }
}

TEST(SqlUserStore, UnopenableDatabaseIsAClearError) {
  linkgate::testing::TestServices services;
  SqlSettings s = settings_with({{"database", "/proc/linkgate-cannot-create/users.db"}});
  try {
    SqlUserStore store(s, *services.host);
    FAIL() << "should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open user database"), std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlUserStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace linkgate::plugins::sql
