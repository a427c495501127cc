#include "outbox/outbox_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/outbox_sample.h"
#include "support/postgres_server.h"
#include "support/query_plan.h"
#include "support/temp_dir.h"

namespace linkgate::outbox {
namespace {

OutboxMessage message(const std::string& id) {
  return linkgate::testing::sample_message(id);
}

class OutboxStoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  linkgate::testing::TempDir dir;
  OutboxStore store{linkgate::testing::open_test_database(GetParam(), dir)};
};

TEST_P(OutboxStoreTest, ADatabaseFailureIsAValueNotAThrow) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  OutboxStore broken(db);
  ASSERT_TRUE(broken.enqueue(message("m1"), 100).ok());
  {
    auto lease = db->session();
    *lease << "DROP TABLE lg_outbox", Poco::Data::Keywords::now;
  }
  EXPECT_EQ(broken.enqueue(message("m2"), 100).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.mark_suppressed("m3", 100).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.claim(100, 60).code(), sdk::ErrorCode::unavailable)
      << "not not_found: a store that is down is not an empty queue";
  EXPECT_EQ(broken.mark_sent("m1", 100).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.mark_retry("m1", 100, "x").code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.mark_dead("m1", "x", 100).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.move_to_channel("m1", 1, 100).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.depth().code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.counts().code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.state_of("m1").code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.body_of("m1").code(), sdk::ErrorCode::unavailable);
}

TEST_P(OutboxStoreTest, NothingDueIsNotFound) {
  EXPECT_EQ(store.claim(100, 60).code(), sdk::ErrorCode::not_found);
  EXPECT_EQ(store.state_of("missing").code(), sdk::ErrorCode::not_found);
}

TEST_P(OutboxStoreTest, ClaimsADueMessageOnceAndCountsTheAttempt) {
  ASSERT_TRUE(store.enqueue(message("m1"), 100).ok());
  auto m = store.claim(100, 60);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, "m1");
  EXPECT_EQ(m->attempts, 1);
  EXPECT_EQ(m->link, "https://x/verify?token=SECRET");
  EXPECT_FALSE(store.claim(100, 60)) << "leased to the first claimer";
  EXPECT_EQ(store.depth().value(), 1);
}

TEST_P(OutboxStoreTest, AClaimedMessageComesBackWithEveryFieldItWasStoredWith) {
  OutboxMessage stored = message("m1");
  stored.kind = sdk::AddressKind::phone;
  stored.recipient = "+15555550100";
  stored.locale = "de";
  stored.html = "<p>html</p>";
  stored.channel_index = 2;
  stored.expires_at = 12'345;
  ASSERT_TRUE(store.enqueue(stored, 100).ok());
  auto batch = store.claim_batch(100, 60, 8);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 1u);
  const OutboxMessage& m = batch->front();
  EXPECT_EQ(m.id, "m1");
  EXPECT_EQ(m.flow_id, "flow-m1");
  EXPECT_EQ(m.kind, sdk::AddressKind::phone);
  EXPECT_EQ(m.recipient, "+15555550100");
  EXPECT_EQ(m.locale, "de");
  EXPECT_EQ(m.subject, "subject");
  EXPECT_EQ(m.text, stored.text);
  EXPECT_EQ(m.html, "<p>html</p>");
  EXPECT_EQ(m.link, stored.link);
  EXPECT_EQ(m.code, "123456");
  EXPECT_EQ(m.attempts, 1);
  EXPECT_EQ(m.channel_index, 2);
  EXPECT_EQ(m.expires_at, 12'345);
}

TEST_P(OutboxStoreTest, AnExpiredLeaseIsClaimedAgain) {
  ASSERT_TRUE(store.enqueue(message("m1"), 100).ok());
  ASSERT_TRUE(store.claim(100, 60));
  EXPECT_FALSE(store.claim(159, 60));
  auto again = store.claim(160, 60);
  ASSERT_TRUE(again) << "a worker that died mid-send must not lose the message";
  EXPECT_EQ(again->attempts, 2);
}

TEST_P(OutboxStoreTest, SentMessagesLoseTheirBody) {
  ASSERT_TRUE(store.enqueue(message("m1"), 100).ok());
  ASSERT_TRUE(store.claim(100, 60));
  ASSERT_TRUE(store.mark_sent("m1", 101).ok());
  EXPECT_EQ(store.state_of("m1")->first, "sent");
  EXPECT_EQ(store.body_of("m1").value(), "");
  EXPECT_EQ(store.depth().value(), 0);
}

TEST_P(OutboxStoreTest, DeadMessagesLoseTheirBodyAndKeepTheReason) {
  ASSERT_TRUE(store.enqueue(message("m1"), 100).ok());
  ASSERT_TRUE(store.claim(100, 60));
  ASSERT_TRUE(store.mark_dead("m1", "smtp: 550 no such user", 101).ok());
  EXPECT_EQ(store.state_of("m1")->first, "dead");
  EXPECT_EQ(store.state_of("m1")->second, "smtp: 550 no such user");
  EXPECT_EQ(store.body_of("m1").value(), "");
}

TEST_P(OutboxStoreTest, RetryWaitsUntilItsTime) {
  ASSERT_TRUE(store.enqueue(message("m1"), 100).ok());
  ASSERT_TRUE(store.claim(100, 60));
  ASSERT_TRUE(store.mark_retry("m1", 130, "timeout").ok());
  EXPECT_FALSE(store.claim(129, 60));
  EXPECT_TRUE(store.claim(130, 60));
}

TEST_P(OutboxStoreTest, ASuppressedMessageIsErasedAndNeverClaimedAgain) {
  ASSERT_TRUE(store.enqueue(message("s1"), 100).ok());
  ASSERT_TRUE(store.claim(100, 60));
  ASSERT_TRUE(store.mark_suppressed("s1", 100).ok());
  EXPECT_EQ(store.body_of("s1").value(), "");
  EXPECT_FALSE(store.claim(1'000'000, 60));
  EXPECT_EQ(store.counts().value()["suppressed"], 1);
}

TEST_P(OutboxStoreTest, ConcurrentClaimersNeverShareAMessage) {
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(store.enqueue(message("m" + std::to_string(i)), 100).ok());
  std::mutex mutex;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (auto m = store.claim(100, 60)) {
        std::lock_guard lock(mutex);
        claimed.insert(m->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), 40u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 40u);
}

TEST_P(OutboxStoreTest, ABatchIsTheOldestDueMessagesThenLapsedLeasesAndNoMoreThanAsked) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store.enqueue(message("m" + std::to_string(i)), 100 + i).ok());
  }
  ASSERT_TRUE(store.enqueue(message("later"), 500).ok());
  auto first = store.claim_batch(200, 60, 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  std::set<std::string> ids;
  for (const auto& m : first.value()) {
    ids.insert(m.id);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.link, "https://x/verify?token=SECRET");
  }
  EXPECT_EQ(ids, (std::set<std::string>{"m0", "m1", "m2"}));
  auto rest = store.claim_batch(200, 60, 3);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 2u) << "m3 and m4; `later` is not due";
  EXPECT_TRUE(store.claim_batch(200, 60, 3)->empty());
  auto lapsed = store.claim_batch(260, 60, 10);
  ASSERT_TRUE(lapsed.ok());
  EXPECT_EQ(lapsed->size(), 5u) << "every lease ran out; `later` still not due";
  for (const auto& m : lapsed.value()) EXPECT_EQ(m.attempts, 2);
}

TEST_P(OutboxStoreTest, ConcurrentBatchClaimersNeverShareAMessage) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store.enqueue(message("m" + std::to_string(i)), 100).ok());
  }
  std::mutex mutex;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        auto batch = store.claim_batch(100, 60, 7);
        if (!batch.ok() || batch->empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& m : batch.value()) claimed.insert(m.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), 200u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 200u);
}

TEST_P(OutboxStoreTest, PurgeDeletesOnlyFinishedMessagesPastTheRetention) {
  for (const char* id : {"sent", "dead", "pending", "sending", "suppressed"}) {
    ASSERT_TRUE(store.enqueue(message(id), 100).ok());
  }
  auto batch = store.claim_batch(100, 60, 10);
  ASSERT_EQ(batch->size(), 5u);
  ASSERT_TRUE(store.mark_suppressed("suppressed", 110).ok());
  ASSERT_TRUE(store.mark_sent("sent", 110).ok());
  ASSERT_TRUE(store.mark_dead("dead", "x", 110).ok());
  ASSERT_TRUE(store.mark_retry("pending", 120, "x").ok());
  auto none = store.purge(100, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->at("sent") + none->at("dead") + none->at("suppressed"), 0);
  auto purged = store.purge(111, 100);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->at("sent"), 1);
  EXPECT_EQ(purged->at("dead"), 1);
  EXPECT_EQ(purged->at("suppressed"), 1);
  EXPECT_EQ(store.state_of("sent").code(), sdk::ErrorCode::not_found);
  EXPECT_EQ(store.state_of("pending")->first, "pending");
  EXPECT_EQ(store.state_of("sending")->first, "sending");
}

// Each state is counted through the one index that holds it; the waiting ones (pending and
// being sent) make the depth and the backlog.
TEST_P(OutboxStoreTest, CountsEveryStateAndTheBacklog) {
  for (const char* id : {"p1", "p2", "s1", "d1", "x1", "w1"}) {
    ASSERT_TRUE(store.enqueue(message(id), 100 + (id[0] == 'p' ? 10 : 0)).ok());
  }
  // Claimed in order of when each is due: the four made at 100 (not p1 or p2, due at 110).
  ASSERT_EQ(store.claim_batch(105, 60, 4)->size(), 4u);
  ASSERT_TRUE(store.mark_sent("s1", 106).ok());
  ASSERT_TRUE(store.mark_dead("d1", "x", 106).ok());
  ASSERT_TRUE(store.mark_suppressed("x1", 106).ok());
  auto counts = store.counts();
  ASSERT_TRUE(counts);
  const std::map<std::string, std::int64_t> expected{
      {"pending", 2}, {"sending", 1}, {"sent", 1}, {"dead", 1}, {"suppressed", 1}};
  EXPECT_EQ(counts.value(), expected);
  EXPECT_EQ(store.depth().value(), 3);
  auto backlog = store.backlog();
  ASSERT_TRUE(backlog);
  EXPECT_EQ(backlog->depth, 3);
  EXPECT_EQ(backlog->oldest, 100) << "w1, being sent, is the oldest waiting";
}

std::set<std::string> outbox_indexes(sql::Database& db) {
  return linkgate::testing::indexes_of(db, "lg_outbox");
}

TEST_P(OutboxStoreTest, ADatabaseWithTheIndexesOverEveryRowGetsThePartialOnes) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  { OutboxStore made(db); }
  {
    auto lease = db->session();
    for (const char* index : {"lg_outbox_pending", "lg_outbox_sending", "lg_outbox_ended"}) {
      *lease << std::string("DROP INDEX ") + index, Poco::Data::Keywords::now;
    }
    *lease << "CREATE INDEX lg_outbox_due ON lg_outbox (state, next_attempt_at)",
        Poco::Data::Keywords::now;
    *lease << "CREATE INDEX lg_outbox_lease ON lg_outbox (state, lease_until)",
        Poco::Data::Keywords::now;
    *lease << "CREATE INDEX lg_outbox_done ON lg_outbox (state, updated_at)",
        Poco::Data::Keywords::now;
  }
  ASSERT_TRUE(outbox_indexes(*db).contains("lg_outbox_due"));
  OutboxStore reopened(db);
  const std::set<std::string> partial{"lg_outbox_pending", "lg_outbox_sending", "lg_outbox_ended"};
  auto now_there = outbox_indexes(*db);
  now_there.erase("lg_outbox_pkey");  // PostgreSQL's primary key; SQLite's has no sql
  EXPECT_EQ(now_there, partial);
  ASSERT_TRUE(reopened.enqueue(message("m1"), 100).ok());
  EXPECT_EQ(reopened.claim(100, 60)->id, "m1");
}

using linkgate::testing::plan_of;

TEST_P(OutboxStoreTest, TheFinishedIndexWrittenWithAnInListIsReplaced) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  { OutboxStore made(db); }
  {
    auto lease = db->session();
    *lease << "DROP INDEX lg_outbox_ended", Poco::Data::Keywords::now;
    *lease << "CREATE INDEX lg_outbox_finished ON lg_outbox (state, updated_at)"
              " WHERE state IN ('sent', 'dead', 'suppressed')",
        Poco::Data::Keywords::now;
  }
  OutboxStore reopened(db);
  auto now_there = outbox_indexes(*db);
  EXPECT_FALSE(now_there.contains("lg_outbox_finished"));
  EXPECT_TRUE(now_there.contains("lg_outbox_ended"));
  for (const auto& [name, statement] : reopened.statements()) {
    if (name != "purge" && name != "counts") continue;
    const auto plan = plan_of(*db, statement);
    EXPECT_FALSE(linkgate::testing::scans_whole_table(plan, "lg_outbox")) << name << ":\n" << plan;
  }
}

TEST_P(OutboxStoreTest, EveryStatementOfTheWorkerAndTheRequestPathUsesAnIndex) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  OutboxStore indexed(db);
  const auto statements = indexed.statements();
  ASSERT_GE(statements.size(), 4u);
  // The check itself: a look-up by a column no index covers is seen as the scan it is.
  const auto unindexed = plan_of(*db, db->sql("SELECT id FROM lg_outbox WHERE claim = ?"));
  EXPECT_TRUE(linkgate::testing::scans_whole_table(unindexed, "lg_outbox")) << unindexed;
  for (const auto& [name, statement] : statements) {
    if (name == "insert") continue;  // no rows to find
    const auto plan = plan_of(*db, statement);
    ASSERT_FALSE(plan.empty()) << name;
    EXPECT_FALSE(linkgate::testing::scans_whole_table(plan, "lg_outbox")) << name << ":\n" << plan;
  }
}

// A start inserts a message and its delivery changes it once or twice: on SQLite none of those
// statements builds a temporary B-tree (the partial indexes' conditions are tested at each of
// them). The claim, the counts and the purge run once per batch, not per message.
TEST(OutboxStoreSqlite, NoStatementRunPerMessageBuildsATemporaryBTree) {
  linkgate::testing::TempDir dir;
  auto db = linkgate::testing::open_test_database("sqlite", dir);
  OutboxStore store(db);
  // The check itself: an IN list of three is tested through one.
  EXPECT_EQ(linkgate::testing::temporary_btrees_of(
                *db, "SELECT id FROM lg_outbox WHERE state IN ('sent', 'dead', 'suppressed')"),
            1);
  const std::set<std::string> per_message{"insert", "finish", "retry", "move", "release"};
  std::set<std::string> checked;
  for (const auto& [name, statement] : store.statements()) {
    if (!per_message.contains(name)) continue;
    checked.insert(name);
    EXPECT_EQ(linkgate::testing::temporary_btrees_of(*db, statement), 0) << name;
  }
  EXPECT_EQ(checked, per_message);
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace linkgate::outbox
