#pragma once
// The event-driven front end. Every listening and client socket sits in one epoll set in
// one-shot mode, and every server thread waits on it: the thread that receives a socket's event
// owns that connection until it arms the socket again, so it reads, runs the TLS handshake,
// answers a complete request and writes the answer itself, with no hand-off between threads.
// Reads and writes never block; only a complete request occupies a thread, for as long as its
// handler runs. An idle, slow or half-sent connection costs a socket and a small buffer, never a
// thread. A timer in the same set sweeps deadlines; connection limits are enforced at accept.
// A handler may also take its request's answer and return at once (http/answer_later.h): the
// connection then waits, unarmed, until whoever finishes the work posts the answer's maker;
// posts are queued and signalled through an eventfd in the same set, and the thread that takes
// the signal makes each answer, sends it and goes on with the connection's next request.

#include <Poco/Net/Context.h>
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
#include "util/semaphore.h"

namespace linkgate::server {

struct FrontEndOptions {
  ConnectionLimits limits;
  ConnectionTimeouts timeouts;
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_client = 256;
  /// How many threads may run requests at once, apart from those waiting in about_to_block()
  /// (util/blocking.h); 0: two per core. Read at construction only.
  std::size_t running_threads = 0;
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
  /// Requests whose handler took the answer and whose answer was then made and sent.
  std::uint64_t answered_later = 0;
};

class FrontEnd {
 public:
  /// Answers one complete request on a server thread. Must not throw.
  using Handler = std::function<http::Response(http::Request&&)>;

  /// Takes the bound @p listeners (TLS on all of them when @p tls is set); @p threads server
  /// threads (at least one) start with start(). Throws std::system_error when the epoll set or
  /// its timer cannot be made.
  FrontEnd(FrontEndOptions options, std::vector<Poco::Net::ServerSocket> listeners,
           Poco::Net::Context::Ptr tls, std::size_t threads, Handler handler);
  /// stop() with no grace if still running.
  ~FrontEnd();
  FrontEnd(const FrontEnd&) = delete;
  FrontEnd& operator=(const FrontEnd&) = delete;

  void start();
  /// Stops accepting and closes every connection that is not being answered; answers still
  /// being made are sent (with `Connection: close`) until @p grace has passed, then everything
  /// is closed and the threads are joined (a handler still running is waited for).
  void stop(std::chrono::milliseconds grace);
  /// New limits and timeouts for connections accepted from now on (a reload).
  void set_options(const FrontEndOptions& options);
  [[nodiscard]] FrontEndStats stats() const;
  [[nodiscard]] std::size_t workers() const { return thread_count_; }

 private:
  struct Connection;
  using ConnectionPtr = std::shared_ptr<Connection>;
  class Answers;
  struct PostContext;

  void work();
  static void give_up_place(void* front_end);
  void on_event(std::uint64_t tag, std::uint32_t events);
  void accept_from(std::size_t listener);
  void shed_one(int listen_fd);
  void serve(const ConnectionPtr& c, std::uint32_t events);
  /// @p answered: an answer was just handed to the connection (one made later), so a TLS
  /// session may hold the next request's bytes already.
  void answer_requests(const ConnectionPtr& c, bool answered);
  /// Makes and sends the answers posted since the last call.
  void answer_posted();
  void answer_later(const ConnectionPtr& c, std::function<http::Response()>& make);
  /// http::AnswerLater::MakePost for a connection (context: a PostContext).
  static std::function<void(std::function<http::Response()>)> post_for(void* context);
  void read_from(Connection& c);
  void write_to(Connection& c);
  void settle(Connection& c);
  void close(Connection& c);
  void sweep();
  [[nodiscard]] ConnectionPtr find(std::uint64_t tag) const;
  [[nodiscard]] std::vector<ConnectionPtr> snapshot() const;
  /// One-shot interest in @p events for @p fd (added anew, or armed again); false on failure.
  bool arm(int fd, std::uint64_t tag, std::uint32_t events, bool added) const;

  std::mutex options_mutex_;
  FrontEndOptions options_;
  Poco::Net::Context::Ptr tls_;
  Handler handler_;
  std::size_t thread_count_;
  // Places for the threads that run requests: a thread holds one while it waits for and serves
  // events, gives it up when it is about to block (util::about_to_block), and takes one again
  // before waiting for its next event. As many as there are cores.
  util::Semaphore places_;

  int epoll_fd_ = -1;
  int timer_fd_ = -1;  // the sweep's tick
  int exit_fd_ = -1;   // an eventfd: readable once the threads are to leave
  // Answers posted for later, shared with the posts, which may come after the front end is gone.
  std::shared_ptr<Answers> answers_;

  // The table of connections, and the count per client address. Taken after a connection's
  // own mutex, never before.
  mutable std::mutex table_mutex_;
  std::unordered_map<int, ConnectionPtr> connections_;
  std::unordered_map<std::string, std::size_t> per_client_;

  // Accepting: whoever holds the listener's one-shot event, or the sweep re-arming it.
  std::mutex accept_mutex_;
  std::vector<Poco::Net::ServerSocket> listeners_;
  bool listening_ = true;
  int spare_fd_ = -1;  // given up to accept and close a connection when descriptors run out
  std::chrono::steady_clock::time_point accept_paused_until_{};
  bool accept_paused_ = false;

  std::atomic<std::uint32_t> next_generation_{1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> exiting_{false};
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool stopped_ = false;

  std::atomic<std::uint64_t> accepted_{0}, refused_max_{0}, refused_per_client_{0},
      refused_no_descriptor_{0}, timed_out_{0}, tls_failed_{0}, answered_later_{0};
};

/// Raises the soft limit on open files to the hard limit; returns the soft limit now in force.
std::uint64_t raise_open_file_limit();

}  // namespace linkgate::server
