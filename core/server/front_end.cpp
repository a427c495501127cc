#include "server/front_end.h"
#include "util/thread_name.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "server/response_bytes.h"
#include "server/transport.h"

namespace linkgate::server {
namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::PollSet;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kAcceptBurst = 256;  // then the other sockets get a turn
constexpr auto kSweepEvery = std::chrono::milliseconds(100);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

int open_spare() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

std::string host_of(const sockaddr_storage& address, socklen_t length) {
  try {
    return Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&address),
                                    static_cast<poco_socklen_t>(length))
        .host()
        .toString();
  } catch (const Poco::Exception&) {
    return "unknown";
  }
}

}  // namespace

struct FrontEnd::Connection {
  Connection(std::uint64_t id_, std::unique_ptr<Transport> transport_, std::string peer_,
             const FrontEndOptions& options, Clock::time_point now)
      : id(id_),
        transport(std::move(transport_)),
        peer(peer_),
        http(options.limits, options.timeouts, std::move(peer_), now) {}
  std::uint64_t id;
  std::unique_ptr<Transport> transport;
  std::string peer;
  HttpConnection http;
  int mode = PollSet::POLL_READ;  // what the poll set watches for now
  bool io_wants_write = false;    // TLS asked to be called again when the socket is writable
  bool send_shut = false;
  bool with_worker = false;
};

FrontEnd::FrontEnd(FrontEndOptions options, std::vector<Poco::Net::ServerSocket> listeners,
                   Poco::Net::Context::Ptr tls, std::size_t workers, Handler handler)
    : options_(std::move(options)),
      listeners_(std::move(listeners)),
      tls_(std::move(tls)),
      handler_(std::move(handler)),
      pool_(workers),
      wake_(Poco::Net::SocketAddress("127.0.0.1", 0), false),
      read_buffer_(kReadChunk) {
  wake_.setBlocking(false);
  wake_sender_.connect(wake_.address());
  wake_sender_.setBlocking(false);
  spare_fd_ = open_spare();
  for (auto& listener : listeners_) listener.setBlocking(false);
}

FrontEnd::~FrontEnd() {
  stop(std::chrono::milliseconds(0));
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

void FrontEnd::start() {
  if (started_) return;
  started_ = true;
  poll_.add(wake_, PollSet::POLL_READ);
  for (auto& listener : listeners_) poll_.add(listener, PollSet::POLL_READ);
  loop_ = std::thread([this] {
    util::name_this_thread("lg-events");
    run();
  });
}

void FrontEnd::stop(std::chrono::milliseconds grace) {
  if (!started_) {
    pool_.stop();
    return;
  }
  if (loop_.joinable()) {
    stop_deadline_ = Clock::now() + grace;
    stop_requested_.store(true);
    if (!wake_pending_.exchange(true)) {
      try {
        wake_sender_.sendBytes("s", 1);
      } catch (const Poco::Exception&) {
        // The loop still sees the flag within one sweep.
      }
    }
    loop_.join();
  }
  pool_.stop();
}

void FrontEnd::set_options(const FrontEndOptions& options) {
  std::lock_guard lock(options_mutex_);
  options_ = options;
}

FrontEndStats FrontEnd::stats() const {
  FrontEndStats s;
  s.open = open_.load();
  s.accepted = accepted_.load();
  s.refused_max_connections = refused_max_.load();
  s.refused_per_client = refused_per_client_.load();
  s.refused_no_descriptor = refused_no_descriptor_.load();
  s.timed_out = timed_out_.load();
  s.tls_handshakes_failed = tls_failed_.load();
  return s;
}

void FrontEnd::run() {
  while (true) {
    if (stop_requested_.load() && !stopping_) begin_stop();
    if (stopping_ && (connections_.empty() || Clock::now() >= stop_deadline_)) break;

    PollSet::SocketModeMap ready;
    try {
      ready = poll_.poll(
          Poco::Timespan(0, static_cast<long>(std::chrono::microseconds(kSweepEvery).count())));
    } catch (const Poco::Exception&) {
      continue;  // EINTR and friends: poll again
    }
    for (const auto& [socket, mode] : ready) {
      if (socket == wake_) {
        char drained[64];
        try {
          while (wake_.receiveBytes(drained, sizeof drained) > 0) {
          }
        } catch (const Poco::Exception&) {
        }
        wake_pending_.store(false);
        continue;
      }
      bool was_listener = false;
      for (auto& listener : listeners_) {
        if (socket == listener) {
          was_listener = true;
          if (!stopping_) accept_from(listener);
        }
      }
      if (!was_listener) serve(static_cast<int>(socket.impl()->sockfd()), mode);
    }
    take_answers();
    const auto now = Clock::now();
    if (now >= next_sweep_) {
      sweep(now);
      next_sweep_ = now + kSweepEvery;
    }
  }
  for (auto it = connections_.begin(); it != connections_.end();) {
    const int fd = it->first;
    ++it;
    close(fd);
  }
}

void FrontEnd::begin_stop() {
  stopping_ = true;
  for (auto& listener : listeners_) {
    try {
      poll_.remove(listener);
      listener.close();
    } catch (const Poco::Exception&) {
    }
  }
  std::vector<int> idle;
  for (auto& [fd, c] : connections_) {
    if (c->with_worker) {
      c->http.finish_after_answer();
    } else if (c->http.output().empty()) {
      idle.push_back(fd);
    }
  }
  for (int fd : idle) close(fd);
}

void FrontEnd::accept_from(Poco::Net::ServerSocket& listener) {
  const int listen_fd = static_cast<int>(listener.impl()->sockfd());
  FrontEndOptions options;
  {
    std::lock_guard lock(options_mutex_);
    options = options_;
  }
  for (int i = 0; i < kAcceptBurst; ++i) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&address), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        shed_one(listener);
      }
      return;  // EAGAIN: nothing more waiting
    }
    // Counted before the close, so whoever sees the connection end also sees it counted.
    if (connections_.size() >= options.max_connections) {
      ++refused_max_;
      ::close(fd);
      continue;
    }
    std::string peer = host_of(address, length);
    auto& from_peer = per_client_[peer];
    if (from_peer >= options.max_connections_per_client) {
      ++refused_per_client_;
      ::close(fd);
      continue;
    }
    std::unique_ptr<Connection> c;
    try {
      Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fd));
      auto transport = std::make_unique<Transport>(socket, tls_);
      c = std::make_unique<Connection>(next_id_++, std::move(transport), peer, options,
                                       Clock::now());
      poll_.add(c->transport->socket(), PollSet::POLL_READ);
    } catch (const Poco::Exception&) {
      if (from_peer == 0) per_client_.erase(peer);
      continue;  // the socket closes with its last owner
    }
    ++from_peer;
    ++accepted_;
    connections_.emplace(fd, std::move(c));
    open_.store(connections_.size());
  }
}

// Out of file descriptors: the waiting connection cannot be accepted, so the listening socket
// stays readable and a naive loop would spin. Give up the spare descriptor, accept the
// connection and close it at once (the client learns now, not after a timeout), and take the
// spare back. If even that fails, stop watching the listener for a moment.
void FrontEnd::shed_one(Poco::Net::ServerSocket& listener) {
  ++refused_no_descriptor_;
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    const int fd =
        ::accept4(static_cast<int>(listener.impl()->sockfd()), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) ::close(fd);
    spare_fd_ = open_spare();
  }
  if (spare_fd_ < 0 && !accept_paused_) {
    accept_paused_ = true;
    accept_paused_until_ = Clock::now() + kAcceptPause;
    for (auto& l : listeners_) poll_.update(l, 0);
  }
}

void FrontEnd::serve(int fd, int ready) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (ready & PollSet::POLL_ERROR) return close(fd);
  if (!c.transport->handshaken()) {
    const auto io = c.transport->handshake();
    if (io.status == Io::Status::failed || io.status == Io::Status::closed) {
      ++tls_failed_;
      return close(fd);
    }
    if (io.status != Io::Status::done) {
      c.io_wants_write = io.status == Io::Status::want_write;
      return settle(fd);
    }
  }
  // Asked again below if TLS still needs the socket writable; left set, a socket that is always
  // writable would wake the loop for nothing.
  c.io_wants_write = false;
  read_from(c);
  write_to(c);
  settle(fd);
}

void FrontEnd::read_from(Connection& c) {
  const auto now = Clock::now();
  while (c.http.wants_read()) {
    const auto io = c.transport->read(read_buffer_.data(), read_buffer_.size());
    if (io.status == Io::Status::done) {
      c.http.on_bytes(std::string_view(read_buffer_.data(), io.bytes), now);
      // What arrives after the last answer is dropped, so nothing else bounds it: one read per
      // wake-up, or a client sending faster than the loop reads would hold the loop.
      if (c.http.phase() == HttpConnection::Phase::lingering) break;
      // A whole request is enough for now: over plain TCP the poll reports what else the client
      // sent, and reading on would cost an empty read per request.
      if (c.http.has_request() && !c.transport->may_hold_unsignalled_bytes()) break;
      continue;
    }
    if (io.status == Io::Status::want_write) c.io_wants_write = true;
    if (io.status == Io::Status::closed) c.http.on_peer_closed(now);
    if (io.status == Io::Status::failed) c.http.on_deadline();
    break;
  }
}

void FrontEnd::write_to(Connection& c) {
  while (!c.http.output().empty()) {
    const auto out = c.http.output();
    const auto io = c.transport->write(out.data(), out.size());
    if (io.status == Io::Status::done) {
      c.http.on_sent(io.bytes, Clock::now());
      continue;
    }
    if (io.status == Io::Status::closed || io.status == Io::Status::failed) {
      c.http.on_deadline();
    }
    break;
  }
}

// After anything happened on a connection: hand a complete request to a worker, shut the
// sending side once the last answer is out, close when done, and watch for what comes next.
void FrontEnd::settle(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (auto request = c.http.take_request()) {
    c.with_worker = true;
    if (stopping_) c.http.finish_after_answer();
    pool_.submit([this, fd, id = c.id, request = std::move(*request)]() mutable {
      http::Response response;
      try {
        response = handler_(std::move(request));
      } catch (...) {
        response = refusal(500, "Something went wrong on our side. Try again.");
      }
      post_answer(fd, id, std::move(response));
    });
  }
  if (c.http.phase() == HttpConnection::Phase::lingering && c.http.output().empty() &&
      !c.send_shut) {
    c.send_shut = true;
    c.transport->shutdown_send();
  }
  if (c.http.phase() == HttpConnection::Phase::closed) return close(fd);
  if (stopping_ && !c.with_worker && c.http.output().empty()) return close(fd);
  int mode = 0;
  if (!c.transport->handshaken()) {
    mode = c.io_wants_write ? PollSet::POLL_WRITE : PollSet::POLL_READ;
  } else {
    if (c.http.wants_read()) mode |= PollSet::POLL_READ;
    if (!c.http.output().empty() || c.io_wants_write) mode |= PollSet::POLL_WRITE;
  }
  if (mode != c.mode) {
    c.mode = mode;
    try {
      poll_.update(c.transport->socket(), mode);
    } catch (const Poco::Exception&) {
      close(fd);
    }
  }
}

void FrontEnd::close(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  try {
    poll_.remove(it->second->transport->socket());
  } catch (const Poco::Exception&) {
  }
  auto count = per_client_.find(it->second->peer);
  if (count != per_client_.end() && --count->second == 0) per_client_.erase(count);
  connections_.erase(it);
  open_.store(connections_.size());
}

void FrontEnd::post_answer(int fd, std::uint64_t id, http::Response response) {
  {
    std::lock_guard lock(answers_mutex_);
    answers_.push_back(Answer{fd, id, std::move(response)});
  }
  if (!wake_pending_.exchange(true)) {
    try {
      wake_sender_.sendBytes("a", 1);
    } catch (const Poco::Exception&) {
      // The loop takes answers at least once per sweep anyway.
    }
  }
}

void FrontEnd::take_answers() {
  std::vector<Answer> answers;
  {
    std::lock_guard lock(answers_mutex_);
    answers.swap(answers_);
  }
  const auto now = Clock::now();
  for (auto& answer : answers) {
    auto it = connections_.find(answer.fd);
    if (it == connections_.end() || it->second->id != answer.id) continue;  // client gone
    Connection& c = *it->second;
    c.with_worker = false;
    c.http.on_answer(answer.response, now);
    write_to(c);
    // A TLS session may hold bytes the socket no longer signals. Plain TCP needs no read here:
    // the poll reports whatever the client sent meanwhile (one empty read per answer saved).
    if (c.http.wants_read() && c.transport->handshaken() &&
        c.transport->may_hold_unsignalled_bytes()) {
      read_from(c);
    }
    settle(answer.fd);
  }
}

void FrontEnd::sweep(Clock::time_point now) {
  if (accept_paused_ && now >= accept_paused_until_) {
    if (spare_fd_ < 0) spare_fd_ = open_spare();
    accept_paused_ = false;
    if (!stopping_) {
      for (auto& l : listeners_) poll_.update(l, PollSet::POLL_READ);
    }
  }
  std::vector<int> expired;
  for (const auto& [fd, c] : connections_) {
    if (!c->with_worker && now >= c->http.deadline()) expired.push_back(fd);
  }
  for (int fd : expired) {
    ++timed_out_;
    close(fd);
  }
}

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace linkgate::server
