#include "limits/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <random>
#include <thread>
#include <vector>

#include "host/host_services.h"
#include "support/redis_server.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::limits {
namespace {

using config::Duration;
using config::Rate;

TEST(SlidingLog, AllowsUpToTheLimitInAWindow) {
  std::vector<std::int64_t> times;
  for (std::int64_t n = 0; n < 5; ++n) {
    EXPECT_TRUE(sliding_log(times.data(), times.size(), 1'000, 60'000, 5).allowed);
    times.push_back(1'000);
  }
  auto refused = sliding_log(times.data(), times.size(), 1'000, 60'000, 5);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 60'000);
}

TEST(SlidingLog, TheEventHoldingTheLimitDecidesTheWait) {
  // Five events at 0, 10, 20, 30, 40 s; limit 3 per minute: the third newest (20 s) must age out.
  const std::vector<std::int64_t> times{0, 10'000, 20'000, 30'000, 40'000};
  auto d = sliding_log(times.data(), times.size(), 45'000, 60'000, 3);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 20'000 + 60'000 - 45'000);
  EXPECT_FALSE(sliding_log(times.data(), times.size(), 0, 60'000, 0).allowed);
}

// Any schedule of knocks, against an independent count of what the last window holds: never
// more than the limit in any span of the window, every refusal's wait at most the window, and a
// client that waits exactly that long gets in while one that waits a millisecond less does not.
TEST(MemoryRateLimiter, ExactlyTheLimitInEverySpanAndRetryAfterIsExact) {
  std::mt19937_64 random(7);
  for (std::int64_t limit : {1, 3, 10}) {
    const std::int64_t w = 1'000;
    host::ManualClock clock{0};
    MemoryRateLimiter limiter(clock);
    const config::Rate rate{limit, config::Duration(w)};
    std::deque<std::int64_t> admitted;
    std::int64_t now = 0;
    for (int step = 0; step < 3'000; ++step) {
      now += static_cast<std::int64_t>(random() % 150);
      clock.set_ms(now);
      while (!admitted.empty() && admitted.front() <= now - w) admitted.pop_front();
      auto d = limiter.hit("k", rate).value();
      ASSERT_EQ(d.allowed, static_cast<std::int64_t>(admitted.size()) < limit) << now;
      if (d.allowed) {
        admitted.push_back(now);
        continue;
      }
      ASSERT_GT(d.retry_after_ms, 0);
      ASSERT_LE(d.retry_after_ms, w);
      // Counted independently: the wait is exactly until the event holding the limit ages out.
      const std::int64_t holder = admitted[admitted.size() - static_cast<std::size_t>(limit)];
      EXPECT_EQ(d.retry_after_ms, holder + w - now);
    }
  }
}

TEST(SlidingWindow, RetryAfterSecondsIsNeverZero) {
  EXPECT_EQ(retry_after_seconds({false, 1, {}}), 1);
  EXPECT_EQ(retry_after_seconds({false, 1'001, {}}), 2);
}

struct Store {
  std::string name;
};

class RateLimiterTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<RateLimiter> make() {
    if (GetParam() == "memory") return std::make_unique<MemoryRateLimiter>(clock_);
    auto redis = std::make_shared<redis::RedisClient>(testing::RedisServer::shared().url());
    return std::make_unique<RedisRateLimiter>(redis, clock_);
  }
  // Keys unique per test: the Redis server is shared by the tests of one process.
  static std::string key(const std::string& name) {
    return name + ":" + util::base64url_encode(util::random_bytes(9));
  }
  host::ManualClock clock_{1'800'000'020};
};

TEST_P(RateLimiterTest, RefusesOverTheLimitAndRecoversAfterRetryAfter) {
  auto limiter = make();
  const std::string k = key("id");
  const Rate rate{5, Duration(15 * 60'000)};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter->hit(k, rate)->allowed) << i;
  auto refused = limiter->hit(k, rate).value();
  ASSERT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after_ms, 0);
  EXPECT_LE(refused.retry_after_ms, 15 * 60'000);
  // Refusals are not counted: the wait does not grow while someone keeps knocking.
  auto again = limiter->hit(k, rate).value();
  EXPECT_LE(again.retry_after_ms, refused.retry_after_ms);
  clock_.advance(std::chrono::milliseconds(refused.retry_after_ms - 1));
  EXPECT_FALSE(limiter->hit(k, rate)->allowed);
  clock_.advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(limiter->hit(k, rate)->allowed);
  // Another key is untouched.
  EXPECT_TRUE(limiter->hit(key("other"), rate)->allowed);
}

TEST_P(RateLimiterTest, CooldownAllowsOneThenTellsTheRemainingTime) {
  auto limiter = make();
  const std::string k = key("cool");
  EXPECT_TRUE(limiter->cooldown(k, Duration(30'000))->allowed);
  auto refused = limiter->cooldown(k, Duration(30'000)).value();
  ASSERT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after_ms, 0);
  EXPECT_LE(refused.retry_after_ms, 30'000);
  EXPECT_TRUE(limiter->cooldown(k, Duration(0))->allowed);  // 0s turns it off
  if (GetParam() == "memory") {
    clock_.advance(std::chrono::seconds(30));
    EXPECT_TRUE(limiter->cooldown(k, Duration(30'000))->allowed);
  }
}

TEST_P(RateLimiterTest, ConcurrentHitsNeverExceedTheLimit) {
  auto limiter = make();
  const std::string k = key("race");
  const Rate rate{10, Duration(3'600'000)};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) allowed += limiter->hit(k, rate)->allowed ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 10);
}

TEST_P(RateLimiterTest, AForgottenEventNoLongerCounts) {
  auto limiter = make();
  const std::string k = key("forget");
  const Rate rate{2, Duration(60'000)};
  auto first = limiter->hit(k, rate).value();
  ASSERT_TRUE(first.allowed);
  ASSERT_FALSE(first.entry.empty());
  clock_.advance(std::chrono::milliseconds(5));
  ASSERT_TRUE(limiter->hit(k, rate)->allowed);
  EXPECT_FALSE(limiter->hit(k, rate)->allowed);
  ASSERT_TRUE(limiter->forget(k, first.entry).ok());
  EXPECT_TRUE(limiter->hit(k, rate)->allowed);
  EXPECT_FALSE(limiter->hit(k, rate)->allowed);
  EXPECT_TRUE(limiter->forget(k, "no such event").ok());
}

TEST_P(RateLimiterTest, ALargeLimitCountsEveryEvent) {
  auto limiter = make();
  const std::string k = key("large");
  const Rate rate{300, Duration(1'000)};
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(limiter->hit(k, rate)->allowed) << i;
  auto refused = limiter->hit(k, rate).value();
  ASSERT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 1'000);
  clock_.advance(std::chrono::milliseconds(1'000));
  EXPECT_TRUE(limiter->hit(k, rate)->allowed);
}

INSTANTIATE_TEST_SUITE_P(Stores, RateLimiterTest, ::testing::Values("memory", "redis"));

TEST(RedisRateLimiter, AnUnreachableRedisIsUnavailable) {
  host::ManualClock clock;
  RedisRateLimiter limiter(std::make_shared<redis::RedisClient>("redis://127.0.0.1:1"), clock);
  EXPECT_EQ(limiter.hit("k", Rate{1, Duration(1000)}).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(limiter.cooldown("k", Duration(1000)).code(), sdk::ErrorCode::unavailable);
}

}  // namespace
}  // namespace linkgate::limits
