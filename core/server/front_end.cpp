#include "server/front_end.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "http/answer_later.h"
#include "server/response_bytes.h"
#include "server/transport.h"
#include "util/after_answer.h"
#include "util/blocking.h"
#include "util/thread_name.h"

namespace linkgate::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kAcceptBurst = 256;  // then the other sockets get a turn
constexpr auto kSweepEvery = std::chrono::milliseconds(100);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
// Checked for stop even if a wake-up were missed.
constexpr int kWaitMilliseconds = 1000;

// An event's tag: a connection's generation (never 0) above its descriptor, or, with
// generation 0, one of these or a listener's index.
constexpr std::uint64_t kAnswersTag = 0xFFFF'FFFDu;
constexpr std::uint64_t kTimerTag = 0xFFFF'FFFEu;
constexpr std::uint64_t kExitTag = 0xFFFF'FFFFu;

std::uint32_t generation_of(std::uint64_t tag) {
  return static_cast<std::uint32_t>(tag >> 32);
}

int descriptor_of(std::uint64_t tag) {
  return static_cast<int>(tag & 0xFFFF'FFFFu);
}

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

thread_local bool holds_place = false;

// Two per core: a thread that runs a request also stalls briefly on locks and page faults
// nobody announces, and measured on two cores, four places served more than two or 64.
std::size_t places_for(std::size_t threads, std::size_t asked) {
  const std::size_t places =
      asked > 0 ? asked : 2 * std::max(1U, std::thread::hardware_concurrency());
  return std::min(threads, places);
}

int checked(int result, const char* what) {
  if (result < 0) throw std::system_error(errno, std::generic_category(), what);
  return result;
}

}  // namespace

struct FrontEnd::Connection {
  Connection(std::uint64_t tag_, int fd_, std::unique_ptr<Transport> transport_, std::string peer_,
             const FrontEndOptions& options, Clock::time_point now)
      : tag(tag_),
        fd(fd_),
        transport(std::move(transport_)),
        peer(peer_),
        http(options.limits, options.timeouts, std::move(peer_), now) {}
  // Held by the thread serving the connection, for as long as it does (a handler included).
  std::mutex mutex;
  const std::uint64_t tag;
  const int fd;
  std::unique_ptr<Transport> transport;
  std::string peer;
  HttpConnection http;
  bool io_wants_write = false;  // TLS asked to be called again when the socket is writable
  bool send_shut = false;
  bool closed = false;
  // The handler took the answer of the request last taken: the connection is not armed until
  // the answer is posted. What the handler's callers asked to change in that answer meanwhile.
  bool awaiting = false;
  std::vector<http::AnswerStep> steps;
};

// The answers posted for later: a queue, and an eventfd in the epoll set that is readable while
// the queue may hold something. Shared with every post handed out, since a post may come after
// the front end is gone; once closed, a post makes its answer at once (the maker finishes the
// request's work too: counts, audit) and drops it.
class FrontEnd::Answers {
 public:
  using Posted = std::pair<ConnectionPtr, http::MakeAnswer>;

  Answers() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~Answers() { ::close(fd_); }
  Answers(const Answers&) = delete;
  Answers& operator=(const Answers&) = delete;

  [[nodiscard]] int fd() const { return fd_; }

  void post(ConnectionPtr c, http::MakeAnswer make) {
    {
      std::unique_lock lock(mutex_);
      if (open_) {
        const bool first = queue_.empty();
        queue_.emplace_back(std::move(c), std::move(make));
        lock.unlock();
        // One signal for however many are posted before a thread takes them.
        if (first) signal();
        return;
      }
    }
    make_and_drop(make);
  }

  /// What was posted since the last call.
  std::vector<Posted> take() {
    std::lock_guard lock(mutex_);
    std::uint64_t signals = 0;
    [[maybe_unused]] auto got = ::read(fd_, &signals, sizeof signals);
    return std::exchange(queue_, {});
  }

  /// No more answers are sent: what is queued and what is posted from now on is made and dropped.
  void close() {
    std::vector<Posted> left;
    {
      std::lock_guard lock(mutex_);
      open_ = false;
      left.swap(queue_);
    }
    for (auto& [c, make] : left) make_and_drop(make);
  }

 private:
  void signal() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(fd_, &one, sizeof one);
  }
  static void make_and_drop(http::MakeAnswer& make) noexcept {
    try {
      make();
    } catch (...) {
      // Its client is gone; so is the answer.
    }
  }

  const int fd_;
  std::mutex mutex_;
  std::vector<Posted> queue_;
  bool open_ = true;
};

// What post_for() makes a connection's post from, on the thread running its handler.
struct FrontEnd::PostContext {
  const std::shared_ptr<Answers>* answers;
  const ConnectionPtr* connection;
};

std::function<void(http::MakeAnswer)> FrontEnd::post_for(void* context) {
  const auto& at = *static_cast<const PostContext*>(context);
  return [answers = *at.answers, c = *at.connection](http::MakeAnswer make) {
    answers->post(c, std::move(make));
  };
}

FrontEnd::FrontEnd(FrontEndOptions options, std::vector<Poco::Net::ServerSocket> listeners,
                   Poco::Net::Context::Ptr tls, std::size_t threads, Handler handler)
    : options_(std::move(options)),
      tls_(std::move(tls)),
      handler_(std::move(handler)),
      thread_count_(std::max<std::size_t>(1, threads)),
      places_(places_for(thread_count_, options_.running_threads)),
      answers_(std::make_shared<Answers>()),
      listeners_(std::move(listeners)) {
  epoll_fd_ = checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  exit_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (timer_fd_ < 0 || exit_fd_ < 0) {
    const int error = errno;
    for (int fd : {epoll_fd_, timer_fd_, exit_fd_}) {
      if (fd >= 0) ::close(fd);
    }
    throw std::system_error(error, std::generic_category(), "timerfd/eventfd");
  }
  spare_fd_ = open_spare();
  for (auto& listener : listeners_) listener.setBlocking(false);
}

FrontEnd::~FrontEnd() {
  stop(std::chrono::milliseconds(0));
  for (int fd : {epoll_fd_, timer_fd_, exit_fd_, spare_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

bool FrontEnd::arm(int fd, std::uint64_t tag, std::uint32_t events, bool added) const {
  epoll_event event{};
  event.events = events | EPOLLONESHOT;
  event.data.u64 = tag;
  return ::epoll_ctl(epoll_fd_, added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) == 0;
}

void FrontEnd::start() {
  if (started_) return;
  started_ = true;
  epoll_event exit_event{};
  exit_event.events = EPOLLIN;  // level-triggered: every thread sees it, once written
  exit_event.data.u64 = kExitTag;
  checked(::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, exit_fd_, &exit_event), "epoll_ctl");
  itimerspec tick{};
  tick.it_interval.tv_nsec = std::chrono::nanoseconds(kSweepEvery).count();
  tick.it_value = tick.it_interval;
  checked(::timerfd_settime(timer_fd_, 0, &tick, nullptr), "timerfd_settime");
  bool armed =
      arm(timer_fd_, kTimerTag, EPOLLIN, false) && arm(answers_->fd(), kAnswersTag, EPOLLIN, false);
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    armed = armed && arm(static_cast<int>(listeners_[i].impl()->sockfd()), i, EPOLLIN, false);
  }
  if (!armed) throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  threads_.reserve(thread_count_);
  for (std::size_t i = 0; i < thread_count_; ++i) {
    threads_.emplace_back([this] {
      util::name_this_thread("lg-http");
      work();
    });
  }
}

void FrontEnd::stop(std::chrono::milliseconds grace) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  const auto deadline = Clock::now() + grace;
  stopping_.store(true);
  {
    std::lock_guard lock(accept_mutex_);
    listening_ = false;
    for (auto& listener : listeners_) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, static_cast<int>(listener.impl()->sockfd()), nullptr);
      try {
        listener.close();
      } catch (const Poco::Exception&) {
      }
    }
  }
  // Idle connections end now; one being answered ends after its answer (Connection: close).
  for (const auto& c : snapshot()) {
    std::unique_lock lock(c->mutex, std::try_to_lock);
    if (lock && !c->closed && c->http.output().empty() && !c->awaiting) close(*c);
  }
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(table_mutex_);
      if (connections_.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  exiting_.store(true);
  // What is left is closed under whoever holds it: the client learns now, the handler's thread
  // finds a dead socket when it returns.
  for (const auto& c : snapshot()) ::shutdown(c->fd, SHUT_RDWR);
  {
    std::lock_guard lock(table_mutex_);
    connections_.clear();
    per_client_.clear();
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(exit_fd_, &one, sizeof one);
  places_.release(thread_count_);  // none waits for a place
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  answers_->close();
}

void FrontEnd::set_options(const FrontEndOptions& options) {
  std::lock_guard lock(options_mutex_);
  options_ = options;
}

FrontEndStats FrontEnd::stats() const {
  FrontEndStats s;
  {
    std::lock_guard lock(table_mutex_);
    s.open = connections_.size();
  }
  s.accepted = accepted_.load();
  s.refused_max_connections = refused_max_.load();
  s.refused_per_client = refused_per_client_.load();
  s.refused_no_descriptor = refused_no_descriptor_.load();
  s.timed_out = timed_out_.load();
  s.tls_handshakes_failed = tls_failed_.load();
  s.answered_later = answered_later_.load();
  return s;
}

void FrontEnd::give_up_place(void* front_end) {
  if (!holds_place) return;
  holds_place = false;
  static_cast<FrontEnd*>(front_end)->places_.release();
}

void FrontEnd::work() {
  util::on_blocking(&FrontEnd::give_up_place, this);
  epoll_event event{};
  while (!exiting_.load(std::memory_order_relaxed)) {
    if (!holds_place) {
      if (!places_.try_acquire_for(std::chrono::milliseconds(kWaitMilliseconds))) continue;
      holds_place = true;
    }
    // One event at a time: a thread takes only the socket it will serve next, and the rest
    // stay with the threads that are free.
    const int n = ::epoll_wait(epoll_fd_, &event, 1, kWaitMilliseconds);
    if (n != 1) continue;
    try {
      on_event(event.data.u64, event.events);
    } catch (const std::exception&) {
      // Out of memory, most likely: the connection is left unarmed and its deadline closes it.
    }
  }
  give_up_place(this);
  util::on_blocking(nullptr, nullptr);
}

void FrontEnd::on_event(std::uint64_t tag, std::uint32_t events) {
  if (generation_of(tag) == 0) {
    if (tag == kExitTag) return;
    if (tag == kAnswersTag) return answer_posted();
    if (tag == kTimerTag) {
      std::uint64_t ticks = 0;
      [[maybe_unused]] auto got = ::read(timer_fd_, &ticks, sizeof ticks);
      sweep();
      arm(timer_fd_, kTimerTag, EPOLLIN, true);
      return;
    }
    return accept_from(static_cast<std::size_t>(tag));
  }
  auto c = find(tag);
  if (!c) return;  // closed meanwhile; its descriptor may already serve another connection
  std::lock_guard lock(c->mutex);
  if (!c->closed) serve(c, events);
}

void FrontEnd::answer_posted() {
  auto posted = answers_->take();
  // Armed again at once: what is posted meanwhile goes to another thread.
  arm(answers_->fd(), kAnswersTag, EPOLLIN, true);
  // What the makers leave for after their answers (the outbox's wake-up) runs once all of them
  // are written: one wake-up for the batch, as one commit made them.
  util::AfterAnswer after_answers;
  for (auto& [c, make] : posted) answer_later(c, make);
}

void FrontEnd::answer_later(const ConnectionPtr& c, http::MakeAnswer& make) {
  http::Response response;
  try {
    response = make();
  } catch (...) {
    response = refusal(500, "Something went wrong on our side. Try again.");
  }
  // Taken after the handler that took the answer has let go of the connection.
  std::lock_guard lock(c->mutex);
  if (c->closed || !c->awaiting) return;
  c->awaiting = false;
  for (auto& step : c->steps) {
    try {
      step(response);
    } catch (...) {
      // A count or a log line that failed does not hold the answer back.
    }
  }
  c->steps.clear();
  ++answered_later_;
  if (stopping_.load()) c->http.finish_after_answer();
  c->http.on_answer(response, Clock::now());
  answer_requests(c, true);
  settle(*c);
}

FrontEnd::ConnectionPtr FrontEnd::find(std::uint64_t tag) const {
  std::lock_guard lock(table_mutex_);
  auto it = connections_.find(descriptor_of(tag));
  if (it == connections_.end() || it->second->tag != tag) return nullptr;
  return it->second;
}

std::vector<FrontEnd::ConnectionPtr> FrontEnd::snapshot() const {
  std::lock_guard lock(table_mutex_);
  std::vector<ConnectionPtr> all;
  all.reserve(connections_.size());
  for (const auto& [fd, c] : connections_) all.push_back(c);
  return all;
}

void FrontEnd::accept_from(std::size_t listener) {
  std::lock_guard accepting(accept_mutex_);
  if (!listening_ || listener >= listeners_.size()) return;
  const int listen_fd = static_cast<int>(listeners_[listener].impl()->sockfd());
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
        shed_one(listen_fd);
      }
      break;  // EAGAIN: nothing more waiting
    }
    std::string peer = host_of(address, length);
    {
      std::lock_guard lock(table_mutex_);
      // Refusals are counted before the close, so a client that sees its connection end
      // finds it counted in stats().
      if (connections_.size() >= options.max_connections) {
        ++refused_max_;
        ::close(fd);
        continue;
      }
      auto count = per_client_.find(peer);
      if (count != per_client_.end() && count->second >= options.max_connections_per_client) {
        ++refused_per_client_;
        ::close(fd);
        continue;
      }
    }
    const std::uint64_t tag =
        (static_cast<std::uint64_t>(next_generation_.fetch_add(1) % 0xFFFF'FFFFu + 1) << 32) |
        static_cast<std::uint32_t>(fd);
    ConnectionPtr c;
    try {
      Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fd));
      auto transport = std::make_unique<Transport>(socket, tls_);
      c = std::make_shared<Connection>(tag, fd, std::move(transport), peer, options, Clock::now());
    } catch (const Poco::Exception&) {
      continue;  // the socket closes with its last owner
    }
    {
      std::lock_guard lock(table_mutex_);
      connections_.emplace(fd, c);
      ++per_client_[peer];
    }
    ++accepted_;
    if (!arm(fd, tag, EPOLLIN, false)) {
      std::lock_guard lock(c->mutex);
      close(*c);
    }
  }
  if (!accept_paused_) arm(listen_fd, listener, EPOLLIN, true);
}

// Out of file descriptors: the waiting connection cannot be accepted, so the listening socket
// stays readable and would be reported again at once. Give up the spare descriptor, accept the
// connection and close it at once (the client learns now, not after a timeout), and take the
// spare back. If even that fails, stop watching the listeners until the sweep after a pause.
void FrontEnd::shed_one(int listen_fd) {
  ++refused_no_descriptor_;
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) ::close(fd);
    spare_fd_ = open_spare();
  }
  if (spare_fd_ < 0 && !accept_paused_) {
    accept_paused_ = true;
    accept_paused_until_ = Clock::now() + kAcceptPause;
  }
}

void FrontEnd::serve(const ConnectionPtr& connection, std::uint32_t events) {
  Connection& c = *connection;
  if (events & EPOLLERR) return close(c);
  if (!c.transport->handshaken()) {
    const auto io = c.transport->handshake();
    if (io.status == Io::Status::failed || io.status == Io::Status::closed) {
      ++tls_failed_;
      return close(c);
    }
    if (io.status != Io::Status::done) {
      c.io_wants_write = io.status == Io::Status::want_write;
      return settle(c);
    }
  }
  // Asked again below if TLS still needs the socket writable; left set, a socket that is always
  // writable would be reported for nothing.
  c.io_wants_write = false;
  read_from(c);
  answer_requests(connection, false);
  settle(c);
}

// Answers every complete request the connection holds, pipelined ones in order, on this thread
// — until a handler takes its answer to make later.
void FrontEnd::answer_requests(const ConnectionPtr& connection, bool answered) {
  Connection& c = *connection;
  util::AfterAnswer after_answer;
  for (;;) {
    write_to(c);
    // The answers so far are on the socket (or queued for it): now what their handlers left.
    after_answer.run();
    // A TLS session may hold bytes the socket no longer signals. Plain TCP needs no read here:
    // the armed socket reports whatever the client sent meanwhile.
    if (answered && c.http.wants_read() && c.transport->may_hold_unsignalled_bytes()) {
      read_from(c);
    }
    auto request = c.http.take_request();
    if (!request) return;
    http::Response response;
    {
      PostContext context{&answers_, &connection};
      http::AnswerLater::Scope later(&FrontEnd::post_for, &context, c.steps);
      try {
        response = handler_(std::move(*request));
        if (later.taken()) {
          c.awaiting = true;
          return;
        }
      } catch (...) {
        // Taken or not, it is answered now; a post that still comes finds nothing awaiting it.
        response = refusal(500, "Something went wrong on our side. Try again.");
      }
      c.steps.clear();
    }
    if (stopping_.load()) c.http.finish_after_answer();
    c.http.on_answer(response, Clock::now());
    answered = true;
  }
}

void FrontEnd::read_from(Connection& c) {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadChunk]);
  const auto now = Clock::now();
  while (c.http.wants_read()) {
    const auto io = c.transport->read(buffer.get(), kReadChunk);
    if (io.status == Io::Status::done) {
      c.http.on_bytes(std::string_view(buffer.get(), io.bytes), now);
      // What arrives after the last answer is dropped, so nothing else bounds it: one read per
      // event, or a client sending faster than the server reads would hold the thread.
      if (c.http.phase() == HttpConnection::Phase::lingering) break;
      // A whole request is enough for now: over plain TCP the armed socket reports what else
      // the client sent, and reading on would cost an empty read per request.
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

// After anything happened on a connection: shut the sending side once the last answer is out,
// close when done, and arm the socket for what comes next — after which another thread may
// take it, once this one lets go of the connection.
void FrontEnd::settle(Connection& c) {
  if (c.awaiting) return;  // armed once its answer is posted and sent
  if (c.http.phase() == HttpConnection::Phase::lingering && c.http.output().empty() &&
      !c.send_shut) {
    c.send_shut = true;
    c.transport->shutdown_send();
  }
  if (c.http.phase() == HttpConnection::Phase::closed) return close(c);
  if (stopping_.load() && c.http.output().empty()) return close(c);
  std::uint32_t events = 0;
  if (!c.transport->handshaken()) {
    events = c.io_wants_write ? EPOLLOUT : EPOLLIN;
  } else {
    if (c.http.wants_read()) events |= EPOLLIN;
    if (!c.http.output().empty() || c.io_wants_write) events |= EPOLLOUT;
  }
  if (!arm(c.fd, c.tag, events, true)) close(c);
}

// With the connection's mutex held. The descriptor closes when the last holder lets go.
void FrontEnd::close(Connection& c) {
  if (c.closed) return;
  c.closed = true;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  std::lock_guard lock(table_mutex_);
  auto it = connections_.find(c.fd);
  if (it == connections_.end() || it->second->tag != c.tag) return;  // dropped by stop()
  auto count = per_client_.find(c.peer);
  if (count != per_client_.end() && --count->second == 0) per_client_.erase(count);
  connections_.erase(it);
}

void FrontEnd::sweep() {
  const auto now = Clock::now();
  {
    std::lock_guard accepting(accept_mutex_);
    if (accept_paused_ && now >= accept_paused_until_) {
      if (spare_fd_ < 0) spare_fd_ = open_spare();
      accept_paused_ = false;
      if (listening_) {
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
          arm(static_cast<int>(listeners_[i].impl()->sockfd()), i, EPOLLIN, true);
        }
      }
    }
  }
  for (const auto& c : snapshot()) {
    // A connection held by another thread is being served: its deadline does not run.
    std::unique_lock lock(c->mutex, std::try_to_lock);
    if (lock && !c->closed && now >= c->http.deadline()) {
      ++timed_out_;
      close(*c);
    }
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
