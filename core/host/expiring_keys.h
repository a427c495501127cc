#pragma once
// The in-memory ExpiringKeys: one process's replay cache and revocation list.

#include <mutex>
#include <string>
#include <unordered_map>

#include "linkgate/sdk/host_services.h"

namespace linkgate::host {

class MemoryExpiringKeys final : public sdk::ExpiringKeys {
 public:
  explicit MemoryExpiringKeys(const sdk::Clock& clock) : clock_(clock) {}
  sdk::Result<bool> insert_if_absent(std::string_view key,
                                     std::int64_t expires_at) noexcept override;
  sdk::Result<bool> contains(std::string_view key) noexcept override;
  std::size_t size() const;

 private:
  void sweep_locked(std::int64_t now);

  const sdk::Clock& clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> keys_;
  std::size_t inserts_since_sweep_ = 0;
};

}  // namespace linkgate::host
