#include "outbox/retry_policy.h"

#include <gtest/gtest.h>

namespace linkgate::outbox {
namespace {

using namespace std::chrono;

TEST(RetryPolicy, DoublesUpToTheCap) {
  EXPECT_EQ(backoff_delay(1, seconds(2), minutes(10), 1.0), seconds(2));
  EXPECT_EQ(backoff_delay(2, seconds(2), minutes(10), 1.0), seconds(4));
  EXPECT_EQ(backoff_delay(5, seconds(2), minutes(10), 1.0), seconds(32));
  EXPECT_EQ(backoff_delay(30, seconds(2), minutes(10), 1.0), minutes(10));
}

TEST(RetryPolicy, JitterKeepsAtLeastHalf) {
  EXPECT_EQ(backoff_delay(3, seconds(2), minutes(10), 0.0), seconds(4));
  auto mid = backoff_delay(3, seconds(2), minutes(10), 0.5);
  EXPECT_GT(mid, seconds(4));
  EXPECT_LT(mid, seconds(8));
}

}  // namespace
}  // namespace linkgate::outbox
