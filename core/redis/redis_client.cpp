#include "redis/redis_client.h"

#include <Poco/URI.h>

#include <stdexcept>

namespace linkgate::redis {

using Poco::Redis::Array;
using Poco::Redis::BulkString;
using Poco::Redis::RedisType;

RedisClient::RedisClient(const std::string& url) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("expected redis://host:port, got \"" + url + "\"");
  }
  if (uri.getScheme() != "redis" || uri.getHost().empty())
    throw std::invalid_argument("expected redis://host:port, got \"" + url + "\"");
  address_ = uri.getHost() + ":" + std::to_string(uri.getPort() ? uri.getPort() : 6379);
  const std::string path = uri.getPath();
  database_ = path.size() > 1 ? path.substr(1) : "";
  factory_ = std::make_unique<Factory>(address_);
  pool_ = std::make_unique<Pool>(*factory_, 2, 32);
}

RedisType::Ptr RedisClient::run(Array& command) {
  try {
    Poco::Redis::PooledConnection connection(*pool_, 5000);
    Poco::Redis::Client::Ptr client = connection;
    if (!database_.empty()) {
      Array select;
      select << "SELECT" << database_;
      client->sendCommand(select);
    }
    auto reply = client->sendCommand(command);
    if (reply->isError()) throw std::runtime_error("redis " + address_ + ": " + reply->toString());
    return reply;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("redis " + address_ + ": " + e.displayText());
  }
}

void RedisClient::ping() {
  Array ping;
  ping << "PING";
  run(ping);
}

std::optional<std::string> RedisClient::bulk(const RedisType::Ptr& reply) {
  if (!reply->isBulkString()) return std::nullopt;
  const auto& value = static_cast<const Poco::Redis::Type<BulkString>*>(reply.get())->value();
  if (value.isNull()) return std::nullopt;
  return value.value();
}

std::int64_t RedisClient::integer(const RedisType::Ptr& reply) {
  if (!reply->isInteger()) throw std::runtime_error("redis: expected an integer reply");
  return static_cast<const Poco::Redis::Type<Poco::Int64>*>(reply.get())->value();
}

std::vector<std::int64_t> RedisClient::integers(const RedisType::Ptr& reply) {
  if (!reply->isArray()) throw std::runtime_error("redis: expected an array reply");
  const auto& list = static_cast<const Poco::Redis::Type<Array>*>(reply.get())->value();
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < list.size(); ++i) out.push_back(list.get<Poco::Int64>(i));
  return out;
}

}  // namespace linkgate::redis
