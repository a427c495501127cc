#include "host/redis_expiring_keys.h"

namespace linkgate::host {

sdk::Result<bool> RedisExpiringKeys::insert_if_absent(std::string_view key,
                                                      std::int64_t expires_at) noexcept {
  try {
    Poco::Redis::Array set;
    set << "SET"
        << "lg:key:" + std::string(key) << "1"
        << "NX"
        << "EXAT" << std::to_string(expires_at);
    return redis_->run(set)->isSimpleString();  // OK, or a null bulk string when present
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, e.what());
  }
}

sdk::Result<bool> RedisExpiringKeys::contains(std::string_view key) noexcept {
  try {
    Poco::Redis::Array exists;
    exists << "EXISTS"
           << "lg:key:" + std::string(key);
    return redis::RedisClient::integer(redis_->run(exists)) == 1;
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, e.what());
  }
}

}  // namespace linkgate::host
