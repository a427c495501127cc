#pragma once
// A pooled Redis client over Poco::Redis, shared by the core (replay cache, revocations, rate
// limits) and the stateful token plugin. Every failure is a std::runtime_error naming the server.

#include <Poco/ObjectPool.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>
#include <Poco/Redis/PoolableConnectionFactory.h>
#include <Poco/Redis/Type.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace linkgate::redis {

class RedisClient {
 public:
  /// Connects lazily to `redis://host[:port][/db]`. Throws std::invalid_argument for a URL that
  /// is not one.
  explicit RedisClient(const std::string& url);

  /// Runs @p command on a pooled connection. Throws std::runtime_error when Redis is unreachable
  /// or answers with an error.
  Poco::Redis::RedisType::Ptr run(Poco::Redis::Array& command);
  /// PING; throws like run().
  void ping();

  [[nodiscard]] const std::string& address() const { return address_; }

  /// The reply as a string: nullopt for a null bulk string or another type.
  static std::optional<std::string> bulk(const Poco::Redis::RedisType::Ptr& reply);
  /// The reply as an integer; throws std::runtime_error for another type.
  static std::int64_t integer(const Poco::Redis::RedisType::Ptr& reply);
  /// The reply as an array of integers (EVAL results); throws for another shape.
  static std::vector<std::int64_t> integers(const Poco::Redis::RedisType::Ptr& reply);

 private:
  using Factory = Poco::PoolableObjectFactory<Poco::Redis::Client, Poco::Redis::Client::Ptr>;
  using Pool = Poco::ObjectPool<Poco::Redis::Client, Poco::Redis::Client::Ptr>;

  std::string address_;
  std::string database_;
  std::unique_ptr<Factory> factory_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace linkgate::redis
