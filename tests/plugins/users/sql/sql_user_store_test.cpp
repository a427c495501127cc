#include "sql_user_store.h"
#include "sql_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

TEST(SqlUserStore, CreatingAUserWhoExistsWritesNothing) {
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
  SqlUserStore store(settings_with({{"database", dir.file("users.db")}}), *services.host);
  const sdk::Identifier alice{sdk::AddressKind::email, "alice@example.com"};
  const auto* writer = store.database().group_commit();
  ASSERT_NE(writer, nullptr);
  auto first = store.create(alice);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto writes = writer->calls();
  EXPECT_GT(writes, 0u);
  auto again = store.create(alice);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(writer->calls(), writes);
  ASSERT_TRUE(store.create({sdk::AddressKind::email, "bob@example.com"}).ok());
  EXPECT_EQ(writer->calls(), writes + 1) << "a new user is still written";
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

TEST_P(SqlUserStoreTest, AnOlderTableGetsTheDisabledColumnAndKeepsItsUsers) {
  const auto s = settings();
  {
    auto db = linkgate::sql::Database::open(
        GetParam() == std::string("sqlite") ? "sqlite:" + s.database : s.database);
    auto lease = db->session();
    *lease << "CREATE TABLE lg_users (id TEXT PRIMARY KEY, email TEXT UNIQUE, phone TEXT UNIQUE,"
              " locale TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL)",
        Poco::Data::Keywords::now;
    *lease << "INSERT INTO lg_users VALUES ('usr_old', 'old@example.com', NULL, 'de', 1)",
        Poco::Data::Keywords::now;
  }
  SqlUserStore store(s, *services.host);
  auto old = store.find({sdk::AddressKind::email, "old@example.com"});
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(old->id, "usr_old");
  EXPECT_EQ(old->locale, "de");
  EXPECT_FALSE(old->disabled);
  ASSERT_TRUE(store.set_disabled("usr_old", true).ok());
  EXPECT_TRUE(store.get("usr_old")->disabled);
}

TEST_P(SqlUserStoreTest, ListsEveryUserWithItsStateInPages) {
  SqlUserStore store(settings(), *services.host);
  std::set<std::string> made;
  for (int i = 0; i < 7; ++i)
    made.insert(
        store.create({sdk::AddressKind::email, "u" + std::to_string(i) + "@x.example"})->id);
  ASSERT_TRUE(store.set_disabled(*made.begin(), true).ok());
  std::vector<sdk::User> seen;
  std::string after;
  do {
    auto page = store.list(after, 3);
    ASSERT_TRUE(page.ok()) << page.error().message;
    seen.insert(seen.end(), page->users.begin(), page->users.end());
    after = page->next_after;
  } while (!after.empty());
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen.front().id, *made.begin());
  EXPECT_TRUE(seen.front().disabled);
  EXPECT_FALSE(seen.back().disabled);
  EXPECT_FALSE(seen.back().email.empty());
}

// An address is personal data: "delete" means it is in no file of the folder afterwards —
// not in a free page of the database, not in the write-ahead log.
TEST(SqlUserStore, ADeletedUsersAddressLeavesEveryFileOfTheFolder) {
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
  SqlUserStore store(settings_with({{"database", dir.file("users.db")}}), *services.host);
  std::string doomed;
  for (int i = 0; i < 50; ++i) {
    auto user = store.create({sdk::AddressKind::email, "keep" + std::to_string(i) + "@x.example"});
    ASSERT_TRUE(user.ok());
    if (i == 25) {
      doomed = store.create({sdk::AddressKind::email, "forget.me@x.example"})->id;
    }
  }
  auto files_holding = [&](const std::string& needle) {
    std::vector<std::string> found;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      std::ifstream in(f.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), {});
      if (bytes.find(needle) != std::string::npos) found.push_back(f.path().filename().string());
    }
    return found;
  };
  ASSERT_FALSE(files_holding("forget.me@x.example").empty()) << "the scan must see it first";
  ASSERT_TRUE(store.remove(doomed).ok());
  EXPECT_EQ(files_holding("forget.me@x.example"), std::vector<std::string>{});
  EXPECT_EQ(files_holding(doomed), std::vector<std::string>{});
  EXPECT_FALSE(files_holding("keep49@x.example").empty()) << "the others stay";
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
