#pragma once
// The HTTP server: the event-driven front end on every listen address, whose threads answer
// complete requests through the routes, and whichever Runtime is current.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/front_end.h"
#include "server/request_metrics.h"
#include "wiring/runtime.h"

namespace linkgate::server {

class Server {
 public:
  /// Builds the runtime and binds every listen address. Throws wiring::DeploymentError or
  /// std::runtime_error on failure.
  Server(const config::Settings& settings, std::shared_ptr<wiring::SharedState> shared);
  ~Server();

  /// Raises the open-file limit, then starts the outbox workers and the front end.
  void start();
  /// Stops accepting, closes idle connections, lets requests being answered finish (up to
  /// server.shutdown_timeout), then stops the outbox workers.
  void stop();

  /// The ports actually bound (useful with port 0).
  [[nodiscard]] std::vector<std::uint16_t> ports() const { return ports_; }
  /// The server.admin listeners' ports; empty when there are none.
  [[nodiscard]] std::vector<std::uint16_t> admin_ports() const { return admin_ports_; }
  [[nodiscard]] std::string base_url() const;

  /// The runtime requests are served with now.
  [[nodiscard]] std::shared_ptr<wiring::Runtime> runtime() const;

  /// Builds a runtime for @p settings and swaps it in. On failure the running configuration
  /// stays and every problem is returned. Connection limits and timeouts apply to connections
  /// accepted from then on; listen addresses, TLS and the worker count need a restart.
  config::Diagnostics reload(const config::Settings& settings);

  [[nodiscard]] FrontEndStats connections() const { return front_end_->stats(); }
  [[nodiscard]] std::size_t workers() const { return front_end_->workers(); }
  /// The soft RLIMIT_NOFILE after start() raised it.
  [[nodiscard]] std::uint64_t open_file_limit() const { return open_file_limit_; }

 private:
  http::Response answer(http::Request&& request);

  std::shared_ptr<wiring::SharedState> shared_;
  mutable std::mutex mutex_;
  std::shared_ptr<wiring::Runtime> runtime_;
  // Shared with each request's answer, which a commit may make after this server is gone.
  std::shared_ptr<RequestMetrics> request_metrics_;
  std::unique_ptr<FrontEnd> front_end_;
  std::unique_ptr<FrontEnd> admin_front_end_;  // server.admin.listen: plain HTTP, its own loop
  std::vector<std::uint16_t> ports_;
  std::vector<std::uint16_t> admin_ports_;
  std::string scheme_;
  std::chrono::milliseconds shutdown_timeout_{10'000};
  std::uint64_t open_file_limit_ = 0;
  bool started_ = false;
};

/// The worker count for server.threads: the configured figure, or with 0 ("auto") 16 per core,
/// at least 64 — a worker waiting on the database or a plugin holds its thread, and cheap
/// requests must still find a free one (bench/http/workers.sh; docs/performance.md).
std::size_t worker_count(int configured);

/// The front end's limits and timeouts from @p settings.
FrontEndOptions front_end_options(const config::Settings& settings);

}  // namespace linkgate::server
