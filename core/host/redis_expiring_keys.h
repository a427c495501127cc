#pragma once
// ExpiringKeys in Redis: the replay cache and revocation list every instance shares.

#include <memory>

#include "linkgate/sdk/host_services.h"
#include "redis/redis_client.h"

namespace linkgate::host {

class RedisExpiringKeys final : public sdk::ExpiringKeys {
 public:
  explicit RedisExpiringKeys(std::shared_ptr<redis::RedisClient> redis)
      : redis_(std::move(redis)) {}
  /// `SET lg:key:<key> 1 NX EXAT <expires_at>`: atomic across instances.
  sdk::Result<bool> insert_if_absent(std::string_view key,
                                     std::int64_t expires_at) noexcept override;
  sdk::Result<bool> contains(std::string_view key) noexcept override;

 private:
  std::shared_ptr<redis::RedisClient> redis_;
};

}  // namespace linkgate::host
