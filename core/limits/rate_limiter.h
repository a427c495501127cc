#pragma once
// Rate limits and cooldowns, per key, in this process or in Redis (shared by every instance).
//
// Counting is a sliding-window estimate: the current fixed window's count plus the previous
// window's count weighted by how much of it still overlaps the sliding window. It needs two
// counters per key, and a burst at a window boundary cannot double the limit as it can with
// plain fixed windows.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "config/duration.h"
#include "linkgate/sdk/host_services.h"
#include "redis/redis_client.h"

namespace linkgate::limits {

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_ms = 0;  // when not allowed: how long until one more would be
};

/// The decision for one more event, given the previous and current windows' counts and how far
/// (@p elapsed_ms) the current window has run. Pure; the stores below share it.
RateDecision sliding_window(std::int64_t previous, std::int64_t current, std::int64_t elapsed_ms,
                            std::int64_t window_ms, std::int64_t limit);

/// Whole seconds to tell a client in Retry-After: never 0 for a refusal.
std::int64_t retry_after_seconds(const RateDecision& decision);

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  /// Counts one event under @p key unless that would exceed @p rate; refused events are not
  /// counted. Thread-safe. ErrorCode::unavailable when the store is unreachable.
  virtual sdk::Result<RateDecision> hit(const std::string& key, const config::Rate& rate) = 0;
  /// Allows the first call per @p key, then refuses until @p cooldown has passed since it.
  virtual sdk::Result<RateDecision> cooldown(const std::string& key, config::Duration cooldown) = 0;
};

/// One process's limits. Keys idle for longer than their window are swept as the map grows.
class MemoryRateLimiter final : public RateLimiter {
 public:
  explicit MemoryRateLimiter(const sdk::Clock& clock) : clock_(clock) {}
  sdk::Result<RateDecision> hit(const std::string& key, const config::Rate& rate) override;
  sdk::Result<RateDecision> cooldown(const std::string& key, config::Duration cooldown) override;

 private:
  struct Window {
    std::int64_t index = 0;
    std::int64_t previous = 0;
    std::int64_t current = 0;
    std::int64_t idle_after_ms = 0;
  };
  void sweep_locked(std::int64_t now_ms);

  const sdk::Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  std::unordered_map<std::string, std::int64_t> cooldowns_;  // key -> until (ms)
  std::size_t calls_since_sweep_ = 0;
};

/// Limits in Redis: one Lua script per hit, so instances sharing the Redis share the counts.
class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(std::shared_ptr<redis::RedisClient> redis, const sdk::Clock& clock)
      : redis_(std::move(redis)), clock_(clock) {}
  sdk::Result<RateDecision> hit(const std::string& key, const config::Rate& rate) override;
  sdk::Result<RateDecision> cooldown(const std::string& key, config::Duration cooldown) override;

 private:
  std::shared_ptr<redis::RedisClient> redis_;
  const sdk::Clock& clock_;
};

}  // namespace linkgate::limits
