#pragma once
// Rate limits and cooldowns, per key, in this process or in Redis (shared by every instance).
//
// A rate "N/W" admits at most N events in any span of W (a sliding log): each admitted event is
// remembered until it is W old, and a refusal's retry_after is the moment the oldest event that
// holds the limit ages out — exact, never longer than W, and a client that waits exactly that
// long gets in. The log of a key holds at most N times, so memory is N × 8 bytes per busy key.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/duration.h"
#include "linkgate/sdk/host_services.h"
#include "redis/redis_client.h"

namespace linkgate::limits {

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_ms = 0;  // when not allowed: how long until one more would be
  std::string entry;                // when allowed by hit(): the event, for forget()
};

/// The decision for one more event at @p now_ms, given the times (ascending, all within the
/// window) of the events the key already holds. Pure; the stores below share it.
RateDecision sliding_log(const std::int64_t* times, std::size_t size, std::int64_t now_ms,
                         std::int64_t window_ms, std::int64_t limit);

/// Whole seconds to tell a client in Retry-After: never 0 for a refusal.
std::int64_t retry_after_seconds(const RateDecision& decision);

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  /// Counts one event under @p key unless that would exceed @p rate; refused events are not
  /// counted. Thread-safe. ErrorCode::unavailable when the store is unreachable.
  virtual sdk::Result<RateDecision> hit(const std::string& key, const config::Rate& rate) = 0;
  /// Uncounts the event hit() admitted as @p entry (one counted before it was known whether it
  /// should count, like a code guess that turned out right). Unknown entries are ignored.
  virtual sdk::Result<void> forget(const std::string& key, const std::string& entry) = 0;
  /// Allows the first call per @p key, then refuses until @p cooldown has passed since it.
  virtual sdk::Result<RateDecision> cooldown(const std::string& key, config::Duration cooldown) = 0;
};

/// One process's limits, in shards with a lock each, so requests for different keys rarely
/// wait for one another. Keys whose events have all aged out are swept as a shard grows.
class MemoryRateLimiter final : public RateLimiter {
 public:
  explicit MemoryRateLimiter(const sdk::Clock& clock) : clock_(clock) {}
  sdk::Result<RateDecision> hit(const std::string& key, const config::Rate& rate) override;
  sdk::Result<void> forget(const std::string& key, const std::string& entry) override;
  sdk::Result<RateDecision> cooldown(const std::string& key, config::Duration cooldown) override;

 private:
  struct Log {
    std::vector<std::int64_t> times;  // ascending; [head, end) are live
    std::size_t head = 0;
    std::int64_t idle_after_ms = 0;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Log> logs;
    std::unordered_map<std::string, std::int64_t> cooldowns;  // key -> until (ms)
    std::size_t calls_since_sweep = 0;
  };
  Shard& shard_of(const std::string& key);
  static void sweep_locked(Shard& shard, std::int64_t now_ms);

  const sdk::Clock& clock_;
  std::array<Shard, 16> shards_;
};

/// Limits in Redis: a sorted set of event times per key, tested and added to by one Lua script,
/// so instances sharing the Redis share the counts.
class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(std::shared_ptr<redis::RedisClient> redis, const sdk::Clock& clock);
  sdk::Result<RateDecision> hit(const std::string& key, const config::Rate& rate) override;
  sdk::Result<void> forget(const std::string& key, const std::string& entry) override;
  sdk::Result<RateDecision> cooldown(const std::string& key, config::Duration cooldown) override;

 private:
  std::string next_entry(std::int64_t now_ms);

  std::shared_ptr<redis::RedisClient> redis_;
  const sdk::Clock& clock_;
  std::string instance_;  // random: event names of two instances never collide
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace linkgate::limits
