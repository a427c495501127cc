#pragma once
// A pooled Redis client, shared by the core (replay cache, revocations, rate limits) and the
// stateful token plugin. It speaks RESP with Poco::Redis's types over a plain or TLS socket
// (Poco 1.11's Redis::Client cannot take a TLS socket), and authenticates with AUTH. Every
// failure is a std::runtime_error naming the server, never its password.

#include <Poco/Net/Context.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Type.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace linkgate::redis {

/// What a `redis://` or `rediss://` URL says.
struct Endpoint {
  std::string host;
  int port = 6379;
  bool tls = false;      // rediss://
  std::string user;      // AUTH user password (Redis 6 ACL); empty: AUTH password
  std::string password;  // empty: no AUTH
  std::string database;  // SELECT; empty: 0
  std::string ca_file;   // ?ca_file=PATH: trust this CA instead of the system's
};

/// Parses `redis[s]://[[user]:password@]host[:port][/db][?ca_file=PATH]`. Throws
/// std::invalid_argument (without the password) for anything else.
Endpoint parse_url(const std::string& url);

class RedisClient {
 public:
  /// Connects lazily to @p url (see parse_url). Throws std::invalid_argument for a URL that is
  /// not one, std::runtime_error when its CA file cannot be loaded.
  explicit RedisClient(const std::string& url);
  ~RedisClient();

  /// Runs @p command on a pooled connection (opened, TLS-handshaken, authenticated and SELECTed
  /// as the URL says). Throws std::runtime_error when Redis is unreachable, refuses the
  /// credentials or answers with an error. Thread-safe.
  Poco::Redis::RedisType::Ptr run(Poco::Redis::Array& command);
  /// PING; throws like run().
  void ping();

  /// host:port, for messages.
  [[nodiscard]] const std::string& address() const { return address_; }

  /// The reply as a string: nullopt for a null bulk string or another type.
  static std::optional<std::string> bulk(const Poco::Redis::RedisType::Ptr& reply);
  /// The reply as an integer; throws std::runtime_error for another type.
  static std::int64_t integer(const Poco::Redis::RedisType::Ptr& reply);
  /// The reply as an array of integers (EVAL results); throws for another shape.
  static std::vector<std::int64_t> integers(const Poco::Redis::RedisType::Ptr& reply);

 private:
  class Connection;
  std::unique_ptr<Connection> borrow();
  void give_back(std::unique_ptr<Connection> connection);

  Endpoint endpoint_;
  std::string address_;
  Poco::Net::Context::Ptr tls_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
  static constexpr int kMaxConnections = 32;
};

}  // namespace linkgate::redis
