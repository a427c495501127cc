#include "server/connection_deadlines.h"

#include <sys/socket.h>

namespace linkgate::server {
namespace {

// The connection a worker thread is serving: the request handler runs on the same thread as
// the connection that read its request.
thread_local std::uint64_t current_connection = 0;

void shut_down(const Poco::Net::StreamSocket& socket) {
  // The descriptor, not StreamSocket::shutdown(): a TLS socket's shutdown would write to the
  // TLS session that the connection's own thread is reading from.
  const auto fd = socket.impl()->sockfd();
  if (fd != POCO_INVALID_SOCKET) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace

class ConnectionDeadlines::Connection final : public Poco::Net::HTTPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, ConnectionDeadlines& deadlines)
      : HTTPServerConnection(socket, std::move(params), std::move(handlers)),
        deadlines_(deadlines) {}

  void run() override {
    const std::uint64_t id = deadlines_.track(socket());
    current_connection = id;
    try {
      HTTPServerConnection::run();
    } catch (...) {
      // Poco's connection handles its own errors; nothing may escape the worker thread.
    }
    current_connection = 0;
    deadlines_.untrack(id);
  }

 private:
  ConnectionDeadlines& deadlines_;
};

Poco::Net::TCPServerConnection* ConnectionDeadlines::Factory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new Connection(socket, params_, handlers_, deadlines_);
}

ConnectionDeadlines::ConnectionDeadlines(std::chrono::milliseconds request_timeout,
                                         std::chrono::milliseconds keep_alive_timeout)
    : request_timeout_(request_timeout), keep_alive_timeout_(keep_alive_timeout) {
  watcher_ = std::thread([this] { watch(); });
}

ConnectionDeadlines::~ConnectionDeadlines() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watcher_.join();
}

std::uint64_t ConnectionDeadlines::track(const Poco::Net::StreamSocket& socket) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  entries_.emplace(id, Entry{socket, Clock::now() + request_timeout_});
  wake_.notify_all();
  return id;
}

void ConnectionDeadlines::untrack(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
}

void ConnectionDeadlines::set_phase(bool answering, std::chrono::milliseconds from_now) {
  if (current_connection == 0) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(current_connection);
  if (it == entries_.end()) return;
  it->second.answering = answering;
  it->second.deadline = Clock::now() + from_now;
  wake_.notify_all();
}

void ConnectionDeadlines::request_started() {
  set_phase(true, request_timeout_);
}

void ConnectionDeadlines::request_finished() {
  set_phase(false, keep_alive_timeout_ + request_timeout_);
}

void ConnectionDeadlines::close_idle() {
  std::lock_guard lock(mutex_);
  for (auto& [id, entry] : entries_) {
    if (!entry.answering) shut_down(entry.socket);
  }
}

std::size_t ConnectionDeadlines::open_connections() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void ConnectionDeadlines::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    const auto now = Clock::now();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.deadline <= now) {
        shut_down(it->second.socket);
        it->second.deadline = Clock::time_point::max();  // once; the connection untracks itself
      } else {
        next = std::min(next, it->second.deadline);
      }
    }
    if (next == Clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, next);
    }
  }
}

}  // namespace linkgate::server
