#include "host/redis_expiring_keys.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/redis_server.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::host {
namespace {

std::shared_ptr<redis::RedisClient> redis() {
  return std::make_shared<redis::RedisClient>(testing::RedisServer::shared().url());
}

TEST(RedisExpiringKeys, InsertsOnceAcrossClients) {
  // Two clients stand for two instances sharing the Redis.
  RedisExpiringKeys a(redis()), b(redis());
  const std::string key = "jti:" + util::base64url_encode(util::random_bytes(12));
  const std::int64_t later = std::time(nullptr) + 600;
  EXPECT_FALSE(a.contains(key).value());
  EXPECT_TRUE(a.insert_if_absent(key, later).value());
  EXPECT_FALSE(b.insert_if_absent(key, later).value());
  EXPECT_TRUE(b.contains(key).value());
}

TEST(RedisExpiringKeys, ConcurrentInsertsHaveOneWinner) {
  RedisExpiringKeys keys(redis());
  const std::string key = "race:" + util::base64url_encode(util::random_bytes(12));
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back(
        [&] { won += keys.insert_if_absent(key, std::time(nullptr) + 60).value(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
}

TEST(RedisExpiringKeys, KeysExpireAtTheirTime) {
  RedisExpiringKeys keys(redis());
  const std::string key = "gone:" + util::base64url_encode(util::random_bytes(12));
  EXPECT_TRUE(keys.insert_if_absent(key, std::time(nullptr) - 1).value());  // already past
  EXPECT_FALSE(keys.contains(key).value());
  EXPECT_TRUE(keys.insert_if_absent(key, std::time(nullptr) + 60).value());
}

TEST(RedisExpiringKeys, AnUnreachableRedisIsUnavailableNotAnException) {
  RedisExpiringKeys keys(std::make_shared<redis::RedisClient>("redis://127.0.0.1:1"));
  auto inserted = keys.insert_if_absent("k", std::time(nullptr) + 60);
  ASSERT_FALSE(inserted.ok());
  EXPECT_EQ(inserted.code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(keys.contains("k").code(), sdk::ErrorCode::unavailable);
}

}  // namespace
}  // namespace linkgate::host
