#include "limits/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(SlidingWindow, AllowsUpToTheLimitInAFreshWindow) {
  for (std::int64_t n = 0; n < 5; ++n) EXPECT_TRUE(sliding_window(0, n, 0, 60'000, 5).allowed);
  EXPECT_FALSE(sliding_window(0, 5, 0, 60'000, 5).allowed);
}

TEST(SlidingWindow, ThePreviousWindowWeighsByItsOverlap) {
  // 10 last window, a quarter into this one: 7.5 still count, so 2 more fit under 10.
  EXPECT_TRUE(sliding_window(10, 1, 15'000, 60'000, 10).allowed);
  EXPECT_FALSE(sliding_window(10, 2, 15'000, 60'000, 10).allowed);
}

TEST(SlidingWindow, RetryAfterIsExactlyWhenOneMoreFits) {
  // Brute force: for every state, waiting retry_after_ms - 1 is still refused and waiting
  // retry_after_ms is allowed (moving into the next window when it gets there).
  const std::int64_t w = 1'000;
  for (std::int64_t limit : {1, 3, 7}) {
    for (std::int64_t prev = 0; prev <= limit; ++prev) {
      for (std::int64_t cur = 0; cur <= limit; ++cur) {
        for (std::int64_t e = 0; e < w; e += 37) {
          auto d = sliding_window(prev, cur, e, w, limit);
          if (d.allowed) continue;
          ASSERT_GT(d.retry_after_ms, 0);
          auto at = [&](std::int64_t wait) {
            const std::int64_t t = e + wait;
            if (t < w) return sliding_window(prev, cur, t, w, limit).allowed;
            if (t < 2 * w) return sliding_window(cur, 0, t - w, w, limit).allowed;
            return sliding_window(0, 0, t % w, w, limit).allowed;
          };
          EXPECT_TRUE(at(d.retry_after_ms)) << prev << " " << cur << " " << e << " " << limit;
          EXPECT_FALSE(at(d.retry_after_ms - 1)) << prev << " " << cur << " " << e << " " << limit;
        }
      }
    }
  }
}

TEST(SlidingWindow, RetryAfterSecondsIsNeverZero) {
  EXPECT_EQ(retry_after_seconds({false, 1}), 1);
  EXPECT_EQ(retry_after_seconds({false, 1'001}), 2);
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
  EXPECT_LE(refused.retry_after_ms, 2 * 15 * 60'000);
  // Refusals are not counted: the wait does not grow while someone keeps knocking.
  auto again = limiter->hit(k, rate).value();
  EXPECT_LE(again.retry_after_ms, refused.retry_after_ms);
  clock_.advance(std::chrono::seconds(retry_after_seconds(refused)));
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

INSTANTIATE_TEST_SUITE_P(Stores, RateLimiterTest, ::testing::Values("memory", "redis"));

TEST(RedisRateLimiter, AnUnreachableRedisIsUnavailable) {
  host::ManualClock clock;
  RedisRateLimiter limiter(std::make_shared<redis::RedisClient>("redis://127.0.0.1:1"), clock);
  EXPECT_EQ(limiter.hit("k", Rate{1, Duration(1000)}).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(limiter.cooldown("k", Duration(1000)).code(), sdk::ErrorCode::unavailable);
}

}  // namespace
}  // namespace linkgate::limits
