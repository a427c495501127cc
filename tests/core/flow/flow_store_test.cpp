#include "flow/flow_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace linkgate::flow {
namespace {

Flow make_flow(const std::string& id, const std::string& who, std::int64_t expires_at = 2000) {
  Flow f;
  f.id = id;
  f.identifier_key = "key:" + who;
  f.identifier = {sdk::AddressKind::email, who};
  f.code_mac = "mac";
  f.created_at = 1000;
  f.expires_at = expires_at;
  f.device = "Firefox on Linux";
  return f;
}

class FlowStoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  linkgate::testing::TempDir dir;
  FlowStore store{linkgate::testing::open_test_database(GetParam(), dir)};
};

TEST_P(FlowStoreTest, StoresAndReadsAFlow) {
  store.create(make_flow("f1", "a@example.com"), true);
  auto f = store.get("f1");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->identifier.value, "a@example.com");
  EXPECT_EQ(f->state, FlowState::pending);
  EXPECT_EQ(f->device, "Firefox on Linux");
  EXPECT_FALSE(store.get("missing"));
}

TEST_P(FlowStoreTest, CompletesExactlyOnce) {
  store.create(make_flow("f1", "a@example.com"), true);
  EXPECT_TRUE(store.complete("f1", 1500));
  EXPECT_FALSE(store.complete("f1", 1500));
  EXPECT_EQ(store.get("f1")->state, FlowState::completed);
}

TEST_P(FlowStoreTest, DoesNotCompleteAnExpiredFlow) {
  store.create(make_flow("f1", "a@example.com", 2000), true);
  EXPECT_FALSE(store.complete("f1", 2000));
}

TEST_P(FlowStoreTest, NewFlowSupersedesThePendingOnesOfTheSameIdentifier) {
  store.create(make_flow("old", "a@example.com"), true);
  store.create(make_flow("other", "b@example.com"), true);
  store.create(make_flow("new", "a@example.com"), true);
  EXPECT_EQ(store.get("old")->state, FlowState::superseded);
  EXPECT_EQ(store.get("other")->state, FlowState::pending);
  EXPECT_EQ(store.get("new")->state, FlowState::pending);
}

TEST_P(FlowStoreTest, WithoutSupersedeEarlierFlowsStay) {
  store.create(make_flow("old", "a@example.com"), false);
  store.create(make_flow("new", "a@example.com"), false);
  EXPECT_EQ(store.get("old")->state, FlowState::pending);
}

TEST_P(FlowStoreTest, ParallelAttemptsNeverExceedTheLimit) {
  store.create(make_flow("f1", "a@example.com"), true);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (store.take_attempt("f1", 5, 1500)) ++granted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 5);
  EXPECT_EQ(store.get("f1")->attempts, 5);
}

TEST_P(FlowStoreTest, SweepsLongExpiredFlows) {
  store.create(make_flow("f1", "a@example.com", 100), true);
  store.create(make_flow("f2", "b@example.com", 5000), true);
  EXPECT_EQ(store.sweep(1000, 60), 1u);
  EXPECT_FALSE(store.get("f1"));
  EXPECT_TRUE(store.get("f2"));
}

INSTANTIATE_TEST_SUITE_P(Backends, FlowStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace linkgate::flow
