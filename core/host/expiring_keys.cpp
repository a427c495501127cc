#include "host/expiring_keys.h"

namespace linkgate::host {

sdk::Result<bool> MemoryExpiringKeys::insert_if_absent(std::string_view key,
                                                       std::int64_t expires_at) noexcept {
  try {
    const std::int64_t now = clock_.now_seconds();
    std::lock_guard lock(mutex_);
    if (++inserts_since_sweep_ >= 1024) sweep_locked(now);
    auto [it, inserted] = keys_.try_emplace(std::string(key), expires_at);
    if (inserted) return true;
    if (it->second <= now) {  // expired entry not yet swept: the key is free again
      it->second = expires_at;
      return true;
    }
    return false;
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::internal, e.what());
  }
}

sdk::Result<bool> MemoryExpiringKeys::contains(std::string_view key) noexcept {
  try {
    const std::int64_t now = clock_.now_seconds();
    std::lock_guard lock(mutex_);
    auto it = keys_.find(std::string(key));
    return it != keys_.end() && it->second > now;
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::internal, e.what());
  }
}

std::size_t MemoryExpiringKeys::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

void MemoryExpiringKeys::sweep_locked(std::int64_t now) {
  inserts_since_sweep_ = 0;
  for (auto it = keys_.begin(); it != keys_.end();) {
    it = it->second <= now ? keys_.erase(it) : std::next(it);
  }
}

}  // namespace linkgate::host
