#pragma once
// The HTTP server: Poco TCPServers running HTTP connections under deadlines (one per listen
// address), sharing one thread pool and one request handler factory, serving whatever Runtime
// is current.

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/connection_deadlines.h"
#include "wiring/runtime.h"

namespace linkgate::server {

class HandlerFactory;

class Server {
 public:
  /// Builds the runtime and binds every listen address. Throws std::runtime_error on failure.
  Server(const config::Settings& settings, std::shared_ptr<wiring::SharedState> shared);
  ~Server();

  void start();
  /// Stops accepting, lets requests in flight finish, stops the outbox workers.
  void stop();

  /// The ports actually bound (useful with port 0).
  [[nodiscard]] std::vector<std::uint16_t> ports() const { return ports_; }
  [[nodiscard]] std::string base_url() const;

  /// The runtime requests are served with now.
  [[nodiscard]] std::shared_ptr<wiring::Runtime> runtime() const;

  /// Builds a runtime for @p settings and swaps it in. On failure the running configuration
  /// stays and every problem is returned (listen addresses and TLS need a restart to change).
  config::Diagnostics reload(const config::Settings& settings);

 private:
  std::shared_ptr<wiring::SharedState> shared_;
  mutable std::mutex mutex_;
  std::shared_ptr<wiring::Runtime> runtime_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<ConnectionDeadlines> deadlines_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  HandlerFactory* handler_factory_ = nullptr;  // handlers_, as what it is
  std::vector<std::unique_ptr<Poco::Net::TCPServer>> servers_;
  std::vector<std::uint16_t> ports_;
  std::string scheme_;
  bool started_ = false;
};

}  // namespace linkgate::server
