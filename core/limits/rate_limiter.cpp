#include "limits/rate_limiter.h"

#include <algorithm>

namespace linkgate::limits {
namespace {

std::int64_t now_ms(const sdk::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
      .count();
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return a <= 0 ? 0 : (a + b - 1) / b;
}

// The same test as sliding_window(), run atomically inside Redis. KEYS[1] is the key's prefix;
// ARGV: window (ms), now (ms), limit. Returns {allowed, previous, current, elapsed}.
constexpr const char* kHitScript = R"lua(
local w = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local index = math.floor(now / w)
local elapsed = now - index * w
local current_key = KEYS[1] .. ':' .. index
local current = tonumber(redis.call('GET', current_key) or '0')
local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. (index - 1)) or '0')
if previous * (w - elapsed) + (current + 1) * w <= limit * w then
  redis.call('INCR', current_key)
  redis.call('PEXPIRE', current_key, 2 * w + 1000)
  return {1, previous, current + 1, elapsed}
end
return {0, previous, current, elapsed}
)lua";

}  // namespace

RateDecision sliding_window(std::int64_t previous, std::int64_t current, std::int64_t elapsed_ms,
                            std::int64_t window_ms, std::int64_t limit) {
  const std::int64_t w = window_ms, e = elapsed_ms;
  if (previous * (w - e) + (current + 1) * w <= limit * w) return {true, 0};
  if (limit <= 0) return {false, w};
  // Still in this window: the previous window's weight decays until the estimate fits.
  if (current + 1 <= limit && previous > 0) {
    const std::int64_t wait = ceil_div((w - e) * previous - (limit - current - 1) * w, previous);
    if (e + wait < w) return {false, std::max<std::int64_t>(wait, 1)};
  }
  // In the next window this window's count is the one decaying: (current)(w - e') + w <= limit w.
  const std::int64_t into_next =
      current == 0 ? 0 : ceil_div(current * w - (limit - 1) * w, current);
  return {false, std::max<std::int64_t>(w - e + into_next, 1)};
}

std::int64_t retry_after_seconds(const RateDecision& decision) {
  return std::max<std::int64_t>(1, (decision.retry_after_ms + 999) / 1000);
}

sdk::Result<RateDecision> MemoryRateLimiter::hit(const std::string& key, const config::Rate& rate) {
  const std::int64_t now = now_ms(clock_);
  const std::int64_t w = std::max<std::int64_t>(1, rate.window.count());
  const std::int64_t index = now / w;
  std::lock_guard lock(mutex_);
  if (++calls_since_sweep_ >= 4096) sweep_locked(now);
  Window& win = windows_[key];
  if (win.index != index) {
    win.previous = win.index == index - 1 ? win.current : 0;
    win.current = 0;
    win.index = index;
  }
  auto decision = sliding_window(win.previous, win.current, now - index * w, w, rate.count);
  if (decision.allowed) ++win.current;
  win.idle_after_ms = (index + 2) * w;
  return decision;
}

sdk::Result<RateDecision> MemoryRateLimiter::cooldown(const std::string& key,
                                                      config::Duration cooldown) {
  if (cooldown.count() <= 0) return RateDecision{true, 0};
  const std::int64_t now = now_ms(clock_);
  std::lock_guard lock(mutex_);
  if (++calls_since_sweep_ >= 4096) sweep_locked(now);
  auto [it, inserted] = cooldowns_.try_emplace(key, now + cooldown.count());
  if (inserted || it->second <= now) {
    it->second = now + cooldown.count();
    return RateDecision{true, 0};
  }
  return RateDecision{false, it->second - now};
}

void MemoryRateLimiter::sweep_locked(std::int64_t now) {
  calls_since_sweep_ = 0;
  std::erase_if(windows_, [now](const auto& entry) { return entry.second.idle_after_ms <= now; });
  std::erase_if(cooldowns_, [now](const auto& entry) { return entry.second <= now; });
}

sdk::Result<RateDecision> RedisRateLimiter::hit(const std::string& key,
                                                const config::Rate& rate) try {
  const std::int64_t w = std::max<std::int64_t>(1, rate.window.count());
  Poco::Redis::Array eval;
  eval << "EVAL" << kHitScript << "1"
       << "lg:rate:" + key << std::to_string(w) << std::to_string(now_ms(clock_))
       << std::to_string(rate.count);
  auto reply = redis::RedisClient::integers(redis_->run(eval));
  if (reply.size() != 4) return sdk::fail(sdk::ErrorCode::unavailable, "redis: unexpected reply");
  if (reply[0] == 1) return RateDecision{true, 0};
  return sliding_window(reply[1], reply[2], reply[3], w, rate.count);
} catch (const std::exception& e) {
  return sdk::fail(sdk::ErrorCode::unavailable, e.what());
}

sdk::Result<RateDecision> RedisRateLimiter::cooldown(const std::string& key,
                                                     config::Duration cooldown) try {
  if (cooldown.count() <= 0) return RateDecision{true, 0};
  Poco::Redis::Array set;
  set << "SET"
      << "lg:cooldown:" + key << "1"
      << "NX"
      << "PX" << std::to_string(cooldown.count());
  if (redis_->run(set)->isSimpleString()) return RateDecision{true, 0};
  Poco::Redis::Array ttl;
  ttl << "PTTL"
      << "lg:cooldown:" + key;
  return RateDecision{false,
                      std::max<std::int64_t>(1, redis::RedisClient::integer(redis_->run(ttl)))};
} catch (const std::exception& e) {
  return sdk::fail(sdk::ErrorCode::unavailable, e.what());
}

}  // namespace linkgate::limits
