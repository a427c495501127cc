#include "limits/rate_limiter.h"

#include <algorithm>
#include <functional>

#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::limits {
namespace {

std::int64_t now_ms(const sdk::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
      .count();
}

// The same test as sliding_log(), run atomically inside Redis. KEYS[1] is the key's sorted set
// (score = event time); ARGV: window (ms), now (ms), limit, a unique name for this event, and
// now - window (as text: Lua would print a large number in exponent form).
// Returns {1, 0} when admitted (and added), {0, retry_after_ms} when not.
constexpr const char* kHitScript = R"lua(
local w = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], w + 1000)
  return {1, 0}
end
if limit <= 0 then return {0, w} end
local holder = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tonumber(holder[2]) + w - now}
)lua";

}  // namespace

RateDecision sliding_log(const std::int64_t* times, std::size_t size, std::int64_t now_ms,
                         std::int64_t window_ms, std::int64_t limit) {
  if (static_cast<std::int64_t>(size) < limit) return {true, 0, {}};
  if (limit <= 0) return {false, window_ms, {}};
  // The event whose ageing out leaves limit - 1 behind it.
  const std::int64_t holder = times[size - static_cast<std::size_t>(limit)];
  return {false, std::max<std::int64_t>(1, holder + window_ms - now_ms), {}};
}

std::int64_t retry_after_seconds(const RateDecision& decision) {
  return std::max<std::int64_t>(1, (decision.retry_after_ms + 999) / 1000);
}

MemoryRateLimiter::Shard& MemoryRateLimiter::shard_of(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

sdk::Result<RateDecision> MemoryRateLimiter::hit(const std::string& key, const config::Rate& rate) {
  const std::int64_t now = now_ms(clock_);
  const std::int64_t w = std::max<std::int64_t>(1, rate.window.count());
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  if (++shard.calls_since_sweep >= 4096) sweep_locked(shard, now);
  Log& log = shard.logs[key];
  while (log.head < log.times.size() && log.times[log.head] <= now - w) ++log.head;
  if (log.head >= 64 && log.head * 2 >= log.times.size()) {
    log.times.erase(log.times.begin(), log.times.begin() + static_cast<std::ptrdiff_t>(log.head));
    log.head = 0;
  }
  auto decision =
      sliding_log(log.times.data() + log.head, log.times.size() - log.head, now, w, rate.count);
  if (decision.allowed) {
    // A clock that stepped back still keeps the log in order.
    auto at = std::upper_bound(log.times.begin() + static_cast<std::ptrdiff_t>(log.head),
                               log.times.end(), now);
    log.times.insert(at, now);
    decision.entry = std::to_string(now);
  }
  log.idle_after_ms = std::max(log.idle_after_ms, now + w);
  return decision;
}

sdk::Result<void> MemoryRateLimiter::forget(const std::string& key, const std::string& entry) {
  std::int64_t time = 0;
  try {
    time = std::stoll(entry);
  } catch (const std::exception&) {
    return {};
  }
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.logs.find(key);
  if (found == shard.logs.end()) return {};
  Log& log = found->second;
  auto begin = log.times.begin() + static_cast<std::ptrdiff_t>(log.head);
  auto at = std::lower_bound(begin, log.times.end(), time);
  if (at != log.times.end() && *at == time) log.times.erase(at);
  return {};
}

sdk::Result<RateDecision> MemoryRateLimiter::cooldown(const std::string& key,
                                                      config::Duration cooldown) {
  if (cooldown.count() <= 0) return RateDecision{true, 0, {}};
  const std::int64_t now = now_ms(clock_);
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  if (++shard.calls_since_sweep >= 4096) sweep_locked(shard, now);
  auto [it, inserted] = shard.cooldowns.try_emplace(key, now + cooldown.count());
  if (inserted || it->second <= now) {
    it->second = now + cooldown.count();
    return RateDecision{true, 0, {}};
  }
  return RateDecision{false, it->second - now, {}};
}

void MemoryRateLimiter::sweep_locked(Shard& shard, std::int64_t now) {
  shard.calls_since_sweep = 0;
  std::erase_if(shard.logs, [now](const auto& entry) { return entry.second.idle_after_ms <= now; });
  std::erase_if(shard.cooldowns, [now](const auto& entry) { return entry.second <= now; });
}

RedisRateLimiter::RedisRateLimiter(std::shared_ptr<redis::RedisClient> redis,
                                   const sdk::Clock& clock)
    : redis_(std::move(redis)),
      clock_(clock),
      instance_(util::base64url_encode(util::random_bytes(6))) {}

std::string RedisRateLimiter::next_entry(std::int64_t now) {
  return std::to_string(now) + ":" + instance_ + ":" + std::to_string(++sequence_);
}

sdk::Result<RateDecision> RedisRateLimiter::hit(const std::string& key,
                                                const config::Rate& rate) try {
  const std::int64_t w = std::max<std::int64_t>(1, rate.window.count());
  const std::int64_t now = now_ms(clock_);
  std::string entry = next_entry(now);
  Poco::Redis::Array eval;
  eval << "EVAL" << kHitScript << "1"
       << "lg:rate:" + key << std::to_string(w) << std::to_string(now) << std::to_string(rate.count)
       << entry << std::to_string(now - w);
  auto reply = redis::RedisClient::integers(redis_->run(eval));
  if (reply.size() != 2) return sdk::fail(sdk::ErrorCode::unavailable, "redis: unexpected reply");
  if (reply[0] == 1) return RateDecision{true, 0, std::move(entry)};
  return RateDecision{false, std::max<std::int64_t>(1, reply[1]), {}};
} catch (const std::exception& e) {
  return sdk::fail(sdk::ErrorCode::unavailable, e.what());
}

sdk::Result<void> RedisRateLimiter::forget(const std::string& key, const std::string& entry) try {
  Poco::Redis::Array zrem;
  zrem << "ZREM"
       << "lg:rate:" + key << entry;
  redis_->run(zrem);
  return {};
} catch (const std::exception& e) {
  return sdk::fail(sdk::ErrorCode::unavailable, e.what());
}

sdk::Result<RateDecision> RedisRateLimiter::cooldown(const std::string& key,
                                                     config::Duration cooldown) try {
  if (cooldown.count() <= 0) return RateDecision{true, 0, {}};
  Poco::Redis::Array set;
  set << "SET"
      << "lg:cooldown:" + key << "1"
      << "NX"
      << "PX" << std::to_string(cooldown.count());
  if (redis_->run(set)->isSimpleString()) return RateDecision{true, 0, {}};
  Poco::Redis::Array ttl;
  ttl << "PTTL"
      << "lg:cooldown:" + key;
  return RateDecision{
      false, std::max<std::int64_t>(1, redis::RedisClient::integer(redis_->run(ttl))), {}};
} catch (const std::exception& e) {
  return sdk::fail(sdk::ErrorCode::unavailable, e.what());
}

}  // namespace linkgate::limits
