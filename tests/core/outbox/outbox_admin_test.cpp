#include "outbox/outbox_admin.h"

#include <gtest/gtest.h>

#include "outbox/outbox_store.h"
#include "support/outbox_sample.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace linkgate::outbox {
namespace {

OutboxMessage message(const std::string& id) {
  return linkgate::testing::sample_message(id);
}

class OutboxAdminTest : public ::testing::TestWithParam<const char*> {
 protected:
  linkgate::testing::TempDir dir;
  std::shared_ptr<sql::Database> db = linkgate::testing::open_test_database(GetParam(), dir);
  OutboxStore store{db};
  OutboxAdmin admin{db};
};

TEST_P(OutboxAdminTest, ListsByStateOldestFirst) {
  ASSERT_TRUE(store.enqueue(message("m2"), 200).ok());
  ASSERT_TRUE(store.enqueue(message("m1"), 100).ok());
  ASSERT_TRUE(store.enqueue(message("m3"), 300).ok());
  ASSERT_TRUE(store.mark_retry("m1", 5'000, "451 try later").ok());
  ASSERT_TRUE(store.mark_sent("m3", 310).ok());
  auto pending = admin.list({"pending"}, 10);
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ(pending->at(0).id, "m1");
  EXPECT_EQ(pending->at(0).next_attempt_at, 5'000);
  EXPECT_EQ(pending->at(0).last_error, "451 try later");
  EXPECT_EQ(pending->at(0).recipient, "a@example.com");
  EXPECT_EQ(pending->at(1).id, "m2");
  EXPECT_EQ(admin.list({"pending", "sent"}, 10)->size(), 3u);
  EXPECT_EQ(admin.list({"pending", "sent"}, 1)->size(), 1u);
  EXPECT_EQ(admin.list({"sent'; DROP TABLE lg_outbox; --"}, 10).code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(admin.get("m9").code(), sdk::ErrorCode::not_found);
}

TEST_P(OutboxAdminTest, RetryNowCutsOnlyAPendingMessagesWaitShort) {
  ASSERT_TRUE(store.enqueue(message("waiting"), 100).ok());
  ASSERT_TRUE(store.enqueue(message("due"), 100).ok());
  ASSERT_TRUE(store.enqueue(message("done"), 100).ok());
  ASSERT_TRUE(store.mark_retry("waiting", 5'000, "down").ok());
  ASSERT_TRUE(store.mark_sent("done", 150).ok());
  EXPECT_TRUE(admin.retry_now("waiting", 200).value());
  EXPECT_EQ(admin.get("waiting")->next_attempt_at, 200);
  EXPECT_FALSE(admin.retry_now("due", 200).value()) << "already due";
  EXPECT_FALSE(admin.retry_now("done", 200).value());
  EXPECT_EQ(admin.retry_now("missing", 200).code(), sdk::ErrorCode::not_found);
  ASSERT_TRUE(store.mark_retry("waiting", 5'000, "down").ok());
  EXPECT_EQ(admin.retry_all(300).value(), 1);
  auto claimed = store.claim_batch(300, 60, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->size(), 2u) << "both pending messages are due now";
}

TEST_P(OutboxAdminTest, RemoveDeletesAnyMessageButOneBeingSent) {
  ASSERT_TRUE(store.enqueue(message("pending"), 100).ok());
  ASSERT_TRUE(store.enqueue(message("sending"), 200).ok());
  auto claimed = store.claim_batch(300, 60, 2);
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(store.record({{Outcome::Kind::released, "pending", "", 300, 0}}, 300).ok());
  EXPECT_EQ(admin.remove("sending").code(), sdk::ErrorCode::retryable);
  EXPECT_TRUE(admin.get("sending").ok());
  ASSERT_TRUE(admin.remove("pending").ok());
  EXPECT_EQ(admin.get("pending").code(), sdk::ErrorCode::not_found);
  EXPECT_EQ(admin.remove("pending").code(), sdk::ErrorCode::not_found);
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxAdminTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace linkgate::outbox
