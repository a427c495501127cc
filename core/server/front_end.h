#pragma once
// The event-driven front end: one loop thread polls every listening and client socket (Poco's
// PollSet, epoll on Linux) without blocking, reads heads and bodies as they arrive, runs TLS
// handshakes, and enforces the connection limits and deadlines. Only a complete request goes to
// a worker; its answer comes back to the loop to be written. An idle, slow or half-sent
// connection costs a socket and a small buffer, never a thread.

#include <Poco/Net/Context.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/message.h"
#include "server/http_connection.h"
#include "server/worker_pool.h"

namespace linkgate::server {

struct FrontEndOptions {
  ConnectionLimits limits;
  ConnectionTimeouts timeouts;
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_client = 256;
};

/// What the front end has seen, for /metrics and tests.
struct FrontEndStats {
  std::size_t open = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused_max_connections = 0;
  std::uint64_t refused_per_client = 0;
  std::uint64_t refused_no_descriptor = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t tls_handshakes_failed = 0;
};

class FrontEnd {
 public:
  /// Answers one complete request on a worker thread. Must not throw.
  using Handler = std::function<http::Response(http::Request&&)>;

  /// Takes the bound @p listeners (TLS on all of them when @p tls is set) and starts @p workers
  /// worker threads. Nothing is accepted before start().
  FrontEnd(FrontEndOptions options, std::vector<Poco::Net::ServerSocket> listeners,
           Poco::Net::Context::Ptr tls, std::size_t workers, Handler handler);
  /// stop() with no grace if still running.
  ~FrontEnd();
  FrontEnd(const FrontEnd&) = delete;
  FrontEnd& operator=(const FrontEnd&) = delete;

  void start();
  /// Stops accepting and closes every connection that is not waiting for a worker's answer;
  /// answers still being made are sent (with `Connection: close`) until @p grace has passed,
  /// then everything is closed and the workers are joined.
  void stop(std::chrono::milliseconds grace);
  /// New limits and timeouts for connections accepted from now on (a reload).
  void set_options(const FrontEndOptions& options);
  [[nodiscard]] FrontEndStats stats() const;
  [[nodiscard]] std::size_t workers() const { return pool_.size(); }

 private:
  struct Connection;
  struct Answer {
    int fd;
    std::uint64_t id;
    http::Response response;
  };

  void run();
  void accept_from(Poco::Net::ServerSocket& listener);
  void shed_one(Poco::Net::ServerSocket& listener);
  void serve(int fd, int ready);
  void settle(int fd);
  void read_from(Connection& c);
  void write_to(Connection& c);
  void close(int fd);
  void take_answers();
  void sweep(std::chrono::steady_clock::time_point now);
  void begin_stop();
  void post_answer(int fd, std::uint64_t id, http::Response response);

  std::mutex options_mutex_;
  FrontEndOptions options_;
  std::vector<Poco::Net::ServerSocket> listeners_;
  Poco::Net::Context::Ptr tls_;
  Handler handler_;
  WorkerPool pool_;

  Poco::Net::PollSet poll_;
  Poco::Net::DatagramSocket wake_;         // the loop's: a datagram on it ends a poll
  Poco::Net::DatagramSocket wake_sender_;  // the workers'
  std::atomic<bool> wake_pending_{false};

  std::mutex answers_mutex_;
  std::vector<Answer> answers_;

  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, std::size_t> per_client_;
  std::uint64_t next_id_ = 1;
  int spare_fd_ = -1;  // given up to accept and close a connection when descriptors run out
  std::chrono::steady_clock::time_point accept_paused_until_{};
  bool accept_paused_ = false;
  std::chrono::steady_clock::time_point next_sweep_{};
  std::vector<char> read_buffer_;

  std::atomic<bool> stop_requested_{false};
  std::chrono::steady_clock::time_point stop_deadline_{};
  bool stopping_ = false;
  std::thread loop_;
  bool started_ = false;

  std::atomic<std::size_t> open_{0};
  std::atomic<std::uint64_t> accepted_{0}, refused_max_{0}, refused_per_client_{0},
      refused_no_descriptor_{0}, timed_out_{0}, tls_failed_{0};
};

/// Raises the soft limit on open files to the hard limit; returns the soft limit now in force.
std::uint64_t raise_open_file_limit();

}  // namespace linkgate::server
