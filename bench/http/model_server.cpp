// A model of a sign-in start's path, for the question docs/performance.md asks of the p99 ("What
// a p99 of 10 ms would take"): with a request's CPU cost held fixed, how much of the tail at 50
// connections is the machine's and how much the shape of the path. It answers HTTP requests with
// a fixed 202 after spending calibrated CPU, in one of four shapes:
//
//   inline     every microsecond on the thread that read the request (no serial stage at all:
//              the floor any design with this CPU cost could reach here);
//   blocking   linkgate's shape: the request's thread spends --before-us, queues a write for one
//              writer thread and sleeps until the commit holding it (the writer spends
//              --batch-us per commit and --write-us per write, taking all that is queued), then
//              spends --after-us and answers; places as the front end keeps them (--places
//              threads run requests at once; a thread gives its place up while it sleeps and
//              takes one again before its next request), --threads threads in all;
//   continued  the same costs, but the request's thread does not sleep: it queues the write with
//              the connection and goes on to other requests; the writer hands each commit's
//              connections back in one batch (an eventfd in the same epoll set), and whichever
//              thread takes the batch spends --after-us on each and answers it;
//   leader     as blocking, but with no writer thread: the request's thread that finds no commit
//              under way spends the writer's share for everything queued, its own write among
//              it, then wakes the batch's callers and those queued behind it, one of whom leads
//              the next batch.
//
// --background-us is spent per request after its answer by --background-threads threads taking
// what is queued in batches, as the outbox delivers. With --files-dir, those threads also write
// each request's message as the development channel does, for real: a 900-byte file made
// unnamed (O_TMPFILE), written, linked under its name and closed, then one syncfs(2) per batch. CPU
// is spent in calibrated loops (not timed against a clock, so a preempted loop costs no more),
// calibrated once at start. --writer-nice sets the writer thread's nice value (negative needs
// root).
//
//   build/model_server --shape blocking --before-us 120 --write-us 60 --after-us 20
// prints "listening on <port>" and serves until killed.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <semaphore.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

enum class Shape { inline_, blocking, continued, leader };

struct Options {
  Shape shape = Shape::blocking;
  double before_us = 0, write_us = 0, batch_us = 0, after_us = 0, background_us = 0;
  int threads = 64, places = 4, background_threads = 2;
  int writer_nice = 0;
  std::string files_dir;  // empty: no files
};

std::atomic<std::uint64_t> sink{0};
double loops_per_us = 0;

void spend(double us) {
  std::uint64_t x = sink.load(std::memory_order_relaxed);
  const auto n = static_cast<std::uint64_t>(us * loops_per_us);
  for (std::uint64_t i = 0; i < n; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  sink.store(x, std::memory_order_relaxed);
}

void calibrate() {
  timespec a{}, b{};
  loops_per_us = 1000;
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    spend(20'000);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    const double us = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
    best = std::max(best, 20'000 * 1000 / us);
  }
  loops_per_us = best;
}

struct Connection {
  int fd;
  std::string in;
};

constexpr std::string_view kAnswer =
    "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n"
    "{\"status\":\"accepted\"}\n";

class Server {
 public:
  explicit Server(Options o) : o_(std::move(o)) {
    sem_init(&places_, 0, static_cast<unsigned>(o_.places));
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 ||
        listen(listen_fd_, 1024) != 0) {
      std::perror("listen");
      std::exit(1);
    }
    socklen_t len = sizeof at;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&at), &len);
    port_ = ntohs(at.sin_port);
    epoll_ = epoll_create1(0);
    handed_back_fd_ = eventfd(0, EFD_NONBLOCK);
    arm(listen_fd_, kListenTag, true);
    arm(handed_back_fd_, kHandedBackTag, true);
  }

  int port() const { return port_; }

  void run() {
    std::vector<std::thread> threads;
    if (o_.shape == Shape::blocking || o_.shape == Shape::continued) {
      threads.emplace_back([this] { write_loop(); });
    }
    for (int i = 0; i < o_.background_threads; ++i) threads.emplace_back([this] { background(); });
    for (int i = 0; i < o_.threads; ++i) threads.emplace_back([this] { serve(); });
    for (auto& t : threads) t.join();
  }

 private:
  static constexpr std::uint64_t kListenTag = ~0ULL, kHandedBackTag = ~1ULL;

  void arm(int fd, std::uint64_t tag, bool add) {
    epoll_event e{};
    e.events = EPOLLIN | EPOLLONESHOT;
    e.data.u64 = tag;
    epoll_ctl(epoll_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &e);
  }

  void serve() {
    const bool blocking = o_.shape == Shape::blocking || o_.shape == Shape::leader;
    for (;;) {
      if (blocking) sem_wait(&places_);
      epoll_event e{};
      if (epoll_wait(epoll_, &e, 1, -1) != 1) {
        if (blocking) sem_post(&places_);
        continue;
      }
      if (e.data.u64 == kListenTag) {
        for (;;) {
          const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK);
          if (fd < 0) break;
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          arm(fd, reinterpret_cast<std::uint64_t>(new Connection{fd, {}}), true);
        }
        arm(listen_fd_, kListenTag, false);
      } else if (e.data.u64 == kHandedBackTag) {
        take_handed_back();
      } else {
        read_from(*reinterpret_cast<Connection*>(e.data.u64));
      }
      if (blocking) sem_post(&places_);
    }
  }

  // Reads what is there; answers a complete request (head, and a body of its Content-Length).
  void read_from(Connection& c) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = recv(c.fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        c.in.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        close(c.fd);
        delete &c;
        return;
      }
      break;
    }
    const auto head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return arm(c.fd, reinterpret_cast<std::uint64_t>(&c), false);
    std::size_t body = 0;
    const auto length = c.in.find("Content-Length: ");
    if (length != std::string::npos && length < head_end)
      body = std::strtoul(&c.in[length + 16], nullptr, 10);
    if (c.in.size() < head_end + 4 + body)
      return arm(c.fd, reinterpret_cast<std::uint64_t>(&c), false);
    c.in.erase(0, head_end + 4 + body);
    answer(c);
  }

  void answer(Connection& c) {
    spend(o_.before_us);
    if (o_.shape == Shape::inline_) {
      spend(o_.write_us + o_.after_us);
      return finish(c);
    }
    if (o_.shape == Shape::continued) {
      std::lock_guard lock(mutex_);
      queued_.push_back(&c);
      queued_changed_.notify_one();
      return;
    }
    if (o_.shape == Shape::leader) return lead_or_follow(c);
    std::uint32_t batch = 0;
    {
      std::lock_guard lock(mutex_);
      queued_.push_back(&c);
      batch = next_batch_;
      queued_changed_.notify_one();
    }
    sem_post(&places_);  // about_to_block(): another thread runs in its place meanwhile
    for (auto done = finished_batch_.load(); static_cast<std::int32_t>(done - batch) < 0;
         done = finished_batch_.load()) {
      finished_batch_.wait(done);
    }
    spend(o_.after_us);
    finish(c);
    sem_wait(&places_);  // back to serve(), which gives it up after this request
  }

  // No writer thread: the caller that finds no commit under way commits everything queued, its
  // own write among it, then wakes the batch's callers and those queued behind it (one of whom
  // leads the next batch).
  void lead_or_follow(Connection& c) {
    sem_post(&places_);
    {
      std::unique_lock lock(mutex_);
      queued_.push_back(&c);
      const std::uint32_t mine = next_batch_;
      while (static_cast<std::int32_t>(finished_batch_.load() - mine) < 0) {
        if (!committing_) {
          committing_ = true;
          const std::size_t n = queued_.size();
          queued_.clear();
          ++next_batch_;
          lock.unlock();
          spend(o_.batch_us + o_.write_us * static_cast<double>(n));
          lock.lock();
          committing_ = false;
          finished_batch_.store(mine);
          committed_.notify_all();
          break;
        }
        committed_.wait(lock);
      }
    }
    spend(o_.after_us);
    finish(c);
    sem_wait(&places_);
  }

  void finish(Connection& c) {
    send(c.fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
    if (o_.background_us > 0 || !o_.files_dir.empty()) {
      std::lock_guard lock(background_mutex_);
      background_queue_ += 1;
      background_changed_.notify_one();
    }
    arm(c.fd, reinterpret_cast<std::uint64_t>(&c), false);
  }

  void write_loop() {
    if (o_.writer_nice != 0 &&
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), o_.writer_nice) != 0) {
      std::perror("setpriority");
    }
    std::vector<Connection*> batch;
    for (;;) {
      std::uint32_t number = 0;
      {
        std::unique_lock lock(mutex_);
        queued_changed_.wait(lock, [this] { return !queued_.empty(); });
        batch.assign(queued_.begin(), queued_.end());
        queued_.clear();
        number = next_batch_++;
      }
      spend(o_.batch_us + o_.write_us * static_cast<double>(batch.size()));
      if (o_.shape == Shape::continued) {
        {
          std::lock_guard lock(handed_back_mutex_);
          handed_back_.insert(handed_back_.end(), batch.begin(), batch.end());
        }
        const std::uint64_t one = 1;
        (void)!write(handed_back_fd_, &one, sizeof one);
      } else {
        finished_batch_.store(number);
        finished_batch_.notify_all();
      }
    }
  }

  // A commit's connections, answered by the thread that took the eventfd's event; it leaves what
  // is left past a few for another thread (the event armed again while some wait).
  void take_handed_back() {
    std::uint64_t count = 0;
    (void)!read(handed_back_fd_, &count, sizeof count);
    std::vector<Connection*> mine;
    {
      std::lock_guard lock(handed_back_mutex_);
      const std::size_t n = std::min<std::size_t>(handed_back_.size(), 8);
      mine.assign(handed_back_.begin(), handed_back_.begin() + static_cast<std::ptrdiff_t>(n));
      handed_back_.erase(handed_back_.begin(),
                         handed_back_.begin() + static_cast<std::ptrdiff_t>(n));
      if (!handed_back_.empty()) {
        const std::uint64_t one = 1;
        (void)!write(handed_back_fd_, &one, sizeof one);
      }
    }
    arm(handed_back_fd_, kHandedBackTag, false);
    for (Connection* c : mine) {
      spend(o_.after_us);
      finish(*c);
    }
  }

  void background() {
    for (;;) {
      std::size_t n = 0;
      {
        std::unique_lock lock(background_mutex_);
        background_changed_.wait(lock, [this] { return background_queue_ > 0; });
        n = std::min<std::size_t>(background_queue_, 64);
        background_queue_ -= n;
      }
      spend(o_.background_us * static_cast<double>(n));
      if (!o_.files_dir.empty()) write_files(n);
    }
  }

  // The development channel's work for a batch of n messages (util::write_file_for_folder_sync
  // and util::FolderSync in linkgate).
  void write_files(std::size_t n) {
    static const std::string content(900, 'x');
    for (std::size_t i = 0; i < n; ++i) {
      const int fd = ::open(o_.files_dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
      if (fd < 0) {
        std::perror("open");
        std::exit(1);
      }
      const std::string name = o_.files_dir + "/" + std::to_string(next_file_++) + ".json";
      const std::string self = "/proc/self/fd/" + std::to_string(fd);
      if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()) ||
          ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
        std::perror("write or linkat");
        std::exit(1);
      }
      ::close(fd);
    }
    const int folder = ::open(o_.files_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::syncfs(folder);
    ::close(folder);
  }

  Options o_;
  sem_t places_;
  int listen_fd_ = -1, epoll_ = -1, handed_back_fd_ = -1, port_ = 0;
  std::mutex mutex_;
  std::condition_variable queued_changed_;
  std::deque<Connection*> queued_;
  std::uint32_t next_batch_ = 1;
  std::atomic<std::uint32_t> finished_batch_{0};
  bool committing_ = false;  // leader: a caller is committing a batch
  std::condition_variable committed_;
  std::mutex handed_back_mutex_;
  std::vector<Connection*> handed_back_;
  std::mutex background_mutex_;
  std::condition_variable background_changed_;
  std::size_t background_queue_ = 0;
  std::atomic<std::uint64_t> next_file_{0};
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const std::pair<std::string_view, double*> amounts[] = {{"--before-us", &o.before_us},
                                                          {"--write-us", &o.write_us},
                                                          {"--batch-us", &o.batch_us},
                                                          {"--after-us", &o.after_us},
                                                          {"--background-us", &o.background_us}};
  const std::pair<std::string_view, int*> counts[] = {
      {"--threads", &o.threads},
      {"--places", &o.places},
      {"--background-threads", &o.background_threads},
      {"--writer-nice", &o.writer_nice}};
  const std::pair<std::string_view, Shape> shapes[] = {{"inline", Shape::inline_},
                                                       {"blocking", Shape::blocking},
                                                       {"continued", Shape::continued},
                                                       {"leader", Shape::leader}};
  for (int i = 1; i < argc; i += 2) {
    const std::string_view key = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    bool known = false;
    for (const auto& [name, field] : amounts) {
      if (key == name && value) {
        *field = std::atof(value);
        known = true;
      }
    }
    for (const auto& [name, field] : counts) {
      if (key == name && value) {
        *field = std::atoi(value);
        known = true;
      }
    }
    if (key == "--files-dir" && value) {
      o.files_dir = value;
      known = true;
    }
    if (key == "--shape" && value) {
      for (const auto& [name, shape] : shapes) {
        if (value == name) {
          o.shape = shape;
          known = true;
        }
      }
    }
    if (!known) {
      std::fprintf(
          stderr,
          "%s %s: unknown option or value (--shape: inline, blocking, continued or leader)\n",
          argv[i], value ? value : "");
      return 2;
    }
  }
  calibrate();
  Server server(o);
  std::printf("listening on %d (%.0f loops per us)\n", server.port(), loops_per_us);
  std::fflush(stdout);
  server.run();
}
