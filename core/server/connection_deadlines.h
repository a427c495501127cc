#pragma once
// Deadlines for HTTP connections. Poco's socket timeout bounds each read, so a client that
// sends one byte just before every timeout (slowloris) could hold a worker thread for ever.
// Each connection here has a deadline for the whole of its current phase — its request head and
// body, or waiting for the next request — and a watchdog thread shuts the socket down when it
// passes, which ends the blocked read and frees the thread.

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace linkgate::server {

class ConnectionDeadlines {
 public:
  using Clock = std::chrono::steady_clock;

  ConnectionDeadlines(std::chrono::milliseconds request_timeout,
                      std::chrono::milliseconds keep_alive_timeout);
  ~ConnectionDeadlines();
  ConnectionDeadlines(const ConnectionDeadlines&) = delete;
  ConnectionDeadlines& operator=(const ConnectionDeadlines&) = delete;

  /// Called on the connection's own thread when a request's head has been read: the body and
  /// the answer must be done within the request timeout.
  void request_started();
  /// Called on the connection's own thread when the answer is sent: the next request must
  /// arrive within the keep-alive timeout and be read within the request timeout.
  void request_finished();
  /// Shuts down every connection not in the middle of a request (server stop): idle keep-alive
  /// connections end at once, requests being answered finish.
  void close_idle();

  /// How many connections are open, for tests.
  std::size_t open_connections() const;

  /// Makes connections that run under these deadlines.
  class Factory final : public Poco::Net::TCPServerConnectionFactory {
   public:
    Factory(ConnectionDeadlines& deadlines, Poco::Net::HTTPServerParams::Ptr params,
            Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
        : deadlines_(deadlines), params_(std::move(params)), handlers_(std::move(handlers)) {}
    Poco::Net::TCPServerConnection* createConnection(
        const Poco::Net::StreamSocket& socket) override;

   private:
    ConnectionDeadlines& deadlines_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  };

 private:
  class Connection;
  struct Entry {
    Poco::Net::StreamSocket socket;
    Clock::time_point deadline;
    bool answering = false;
  };
  std::uint64_t track(const Poco::Net::StreamSocket& socket);
  void untrack(std::uint64_t id);
  void set_phase(bool answering, std::chrono::milliseconds from_now);
  void watch();

  const std::chrono::milliseconds request_timeout_;
  const std::chrono::milliseconds keep_alive_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace linkgate::server
