#include "outbox/outbox_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace linkgate::outbox {
namespace {

OutboxMessage message(const std::string& id) {
  OutboxMessage m;
  m.id = id;
  m.flow_id = "flow-" + id;
  m.recipient = "a@example.com";
  m.subject = "subject";
  m.text = "text with https://x/verify?token=SECRET";
  m.link = "https://x/verify?token=SECRET";
  m.code = "123456";
  m.expires_at = 10'000;
  return m;
}

class OutboxStoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  linkgate::testing::TempDir dir;
  OutboxStore store{linkgate::testing::open_test_database(GetParam(), dir)};
};

TEST_P(OutboxStoreTest, ClaimsADueMessageOnceAndCountsTheAttempt) {
  store.enqueue(message("m1"), 100);
  auto m = store.claim(100, 60);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, "m1");
  EXPECT_EQ(m->attempts, 1);
  EXPECT_EQ(m->link, "https://x/verify?token=SECRET");
  EXPECT_FALSE(store.claim(100, 60)) << "leased to the first claimer";
  EXPECT_EQ(store.depth(), 1);
}

TEST_P(OutboxStoreTest, AnExpiredLeaseIsClaimedAgain) {
  store.enqueue(message("m1"), 100);
  ASSERT_TRUE(store.claim(100, 60));
  EXPECT_FALSE(store.claim(159, 60));
  auto again = store.claim(160, 60);
  ASSERT_TRUE(again) << "a worker that died mid-send must not lose the message";
  EXPECT_EQ(again->attempts, 2);
}

TEST_P(OutboxStoreTest, SentMessagesLoseTheirBody) {
  store.enqueue(message("m1"), 100);
  ASSERT_TRUE(store.claim(100, 60));
  store.mark_sent("m1", 101);
  EXPECT_EQ(store.state_of("m1")->first, "sent");
  EXPECT_EQ(store.body_of("m1"), "");
  EXPECT_EQ(store.depth(), 0);
}

TEST_P(OutboxStoreTest, DeadMessagesLoseTheirBodyAndKeepTheReason) {
  store.enqueue(message("m1"), 100);
  ASSERT_TRUE(store.claim(100, 60));
  store.mark_dead("m1", "smtp: 550 no such user", 101);
  EXPECT_EQ(store.state_of("m1")->first, "dead");
  EXPECT_EQ(store.state_of("m1")->second, "smtp: 550 no such user");
  EXPECT_EQ(store.body_of("m1"), "");
}

TEST_P(OutboxStoreTest, RetryWaitsUntilItsTime) {
  store.enqueue(message("m1"), 100);
  ASSERT_TRUE(store.claim(100, 60));
  store.mark_retry("m1", 130, "timeout");
  EXPECT_FALSE(store.claim(129, 60));
  EXPECT_TRUE(store.claim(130, 60));
}

TEST_P(OutboxStoreTest, SuppressedRecordsAreNeverClaimed) {
  store.record_suppressed("s1", "flow", 100);
  EXPECT_FALSE(store.claim(1'000'000, 60));
  EXPECT_EQ(store.counts()["suppressed"], 1);
}

TEST_P(OutboxStoreTest, ConcurrentClaimersNeverShareAMessage) {
  for (int i = 0; i < 40; ++i) store.enqueue(message("m" + std::to_string(i)), 100);
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

INSTANTIATE_TEST_SUITE_P(Backends, OutboxStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace linkgate::outbox
