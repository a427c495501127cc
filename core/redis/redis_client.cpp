#include "redis/redis_client.h"
#include "util/blocking.h"

#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/RedisStream.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace linkgate::redis {

using Poco::Redis::Array;
using Poco::Redis::BulkString;
using Poco::Redis::RedisType;

namespace {

const Poco::Timespan kTimeout(5, 0);

Poco::Net::Context::Ptr tls_context(const std::string& ca_file) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  // STRICT: Poco's RELAXED skips the host name check for loopback addresses.
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.caLocation = ca_file;
  params.loadDefaultCAs = ca_file.empty();
  params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
  auto context =
      Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  // Its own refusal: never Poco's process-wide handler, which may ask on the console.
  context->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
  return context;
}

}  // namespace

Endpoint parse_url(const std::string& url) {
  const std::string expected = "expected redis://[user:password@]host:port[/db] or rediss://...";
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    throw std::invalid_argument(expected);
  }
  Endpoint e;
  if (uri.getScheme() != "redis" && uri.getScheme() != "rediss") {
    throw std::invalid_argument(expected);
  }
  e.tls = uri.getScheme() == "rediss";
  e.host = uri.getHost();
  if (e.host.empty()) throw std::invalid_argument(expected);
  e.port = uri.getPort() ? uri.getPort() : 6379;
  // Poco keeps the user info percent-encoded, as written: a password may hold any byte.
  const std::string user_info = uri.getUserInfo();
  if (!user_info.empty()) {
    const auto colon = user_info.find(':');
    if (colon == std::string::npos) {
      Poco::URI::decode(user_info, e.password);  // redis://password@host, as some tools write it
    } else {
      Poco::URI::decode(user_info.substr(0, colon), e.user);
      Poco::URI::decode(user_info.substr(colon + 1), e.password);
    }
  }
  const std::string path = uri.getPath();
  e.database = path.size() > 1 ? path.substr(1) : "";
  if (!e.database.empty() && e.database.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument(expected + " (the database is a number)");
  }
  for (const auto& [name, value] : uri.getQueryParameters()) {
    if (name == "ca_file") {
      e.ca_file = value;
    } else {
      throw std::invalid_argument("redis URL: unknown parameter \"" + name + "\" (known: ca_file)");
    }
  }
  if (!e.ca_file.empty() && !e.tls) {
    throw std::invalid_argument("redis URL: ca_file needs rediss://");
  }
  return e;
}

/// One open connection: the socket and Poco's RESP streams over it.
class RedisClient::Connection {
 public:
  Connection(const Endpoint& e, const Poco::Net::Context::Ptr& tls) {
    const Poco::Net::SocketAddress where(e.host, static_cast<Poco::UInt16>(e.port));
    if (tls) {
      Poco::Net::SecureStreamSocket secure(tls);
      secure.setPeerHostName(e.host);  // verified against the certificate
      secure.connect(where, kTimeout);
      socket_ = secure;
    } else {
      socket_.connect(where, kTimeout);
    }
    socket_.setReceiveTimeout(kTimeout);
    socket_.setSendTimeout(kTimeout);
    socket_.setNoDelay(true);
    in_ = std::make_unique<Poco::Redis::RedisInputStream>(socket_);
    out_ = std::make_unique<Poco::Redis::RedisOutputStream>(socket_);
    if (!e.password.empty()) {
      Array auth;
      auth << "AUTH";
      if (!e.user.empty()) auth << e.user;
      auth << e.password;
      // Redis's refusal names neither user nor password; keep it that way in ours.
      if (send(auth)->isError()) throw std::runtime_error("authentication refused");
    }
    if (!e.database.empty()) {
      Array select;
      select << "SELECT" << e.database;
      if (auto reply = send(select); reply->isError()) {
        throw std::runtime_error("SELECT " + e.database + ": " + reply->toString());
      }
    }
  }

  RedisType::Ptr send(const Array& command) {
    *out_ << command.toString();
    out_->flush();
    if (!out_->good()) throw std::runtime_error("lost the connection while sending");
    const int marker = in_->get();
    if (marker == -1) throw std::runtime_error("lost the connection");
    RedisType::Ptr reply = RedisType::createRedisType(static_cast<char>(marker));
    if (reply.isNull()) throw std::runtime_error("not a Redis reply");
    reply->read(*in_);
    return reply;
  }

 private:
  Poco::Net::StreamSocket socket_;  // before the streams, which hold a reference to it
  std::unique_ptr<Poco::Redis::RedisInputStream> in_;
  std::unique_ptr<Poco::Redis::RedisOutputStream> out_;
};

RedisClient::RedisClient(const std::string& url) : endpoint_(parse_url(url)) {
  address_ = endpoint_.host + ":" + std::to_string(endpoint_.port);
  if (endpoint_.tls) {
    try {
      tls_ = tls_context(endpoint_.ca_file);
    } catch (const Poco::Exception& e) {
      throw std::runtime_error("redis " + address_ + ": TLS: " + e.displayText());
    }
  }
}

RedisClient::~RedisClient() = default;

std::unique_ptr<RedisClient::Connection> RedisClient::borrow() {
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, std::chrono::seconds(5),
                         [this] { return !idle_.empty() || open_ < kMaxConnections; })) {
      throw std::runtime_error("no connection free within 5 s");
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++open_;
  }
  try {
    return std::make_unique<Connection>(endpoint_, tls_);
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_;
    freed_.notify_one();
    throw;
  }
}

void RedisClient::give_back(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (connection) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // broken: closed, and a new one may be opened in its place
  }
  freed_.notify_one();
}

RedisType::Ptr RedisClient::run(Array& command) {
  util::about_to_block();  // a round trip across the network
  std::unique_ptr<Connection> connection;
  try {
    connection = borrow();
    auto reply = connection->send(command);
    give_back(std::move(connection));
    if (reply->isError()) throw std::runtime_error(reply->toString());
    return reply;
  } catch (const std::exception& e) {
    if (connection) give_back(nullptr);
    const Poco::Exception* poco = dynamic_cast<const Poco::Exception*>(&e);
    throw std::runtime_error("redis " + address_ + ": " + (poco ? poco->displayText() : e.what()));
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
