// The front end over real sockets with a handler of the test's own: keep-alive, pipelining,
// 100-continue, a graceful stop, idle connections that hold no worker, and running out of file
// descriptors.
#include "server/front_end.h"

#include <sys/resource.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "http/answer_later.h"
#include "support/raw_connection.h"
#include "util/after_answer.h"
#include "util/blocking.h"

namespace linkgate::server {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

struct Served {
  std::unique_ptr<FrontEnd> front_end;
  int port = 0;
  Served(std::size_t workers, FrontEnd::Handler handler, FrontEndOptions options = {}) {
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0), 1024);
    port = listener.address().port();
    front_end = std::make_unique<FrontEnd>(options, std::vector<Poco::Net::ServerSocket>{listener},
                                           nullptr, workers, std::move(handler));
    front_end->start();
  }
};

http::Response echo(http::Request&& request) {
  http::Response r;
  r.body = request.method + " " + request.target + " " + request.body;
  return r;
}

/// Where @p what is in what @p c receives within about two seconds (npos if it never comes).
std::size_t answer_to(RawConnection& c, const std::string& what) {
  std::string got;
  for (int tries = 0; tries < 20 && got.find(what) == std::string::npos; ++tries) {
    got += c.receive(std::chrono::milliseconds(100));
  }
  return got.find(what);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(FrontEnd, PipelinedRequestsOnOneConnectionAreAnsweredInOrder) {
  Served served(4, echo);
  RawConnection c("127.0.0.1", served.port);
  std::string pipelined;
  for (int i = 0; i < 20; ++i) {
    pipelined += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  }
  ASSERT_TRUE(c.send(pipelined));
  std::string answers;
  for (int tries = 0; tries < 20 && count_of(answers, "HTTP/1.1 200") < 20; ++tries) {
    answers += c.receive(300ms);
  }
  ASSERT_EQ(count_of(answers, "HTTP/1.1 200 OK"), 20u) << answers;
  std::size_t at = 0;
  for (int i = 0; i < 20; ++i) {
    const auto next = answers.find("GET /" + std::to_string(i) + " ", at);
    ASSERT_NE(next, std::string::npos) << i;
    at = next;
  }
  EXPECT_FALSE(c.closed()) << "keep-alive";
}

// Every thread takes whichever socket is ready next; a connection must still be served by one
// thread at a time, in order, and never answered with another's bytes.
TEST(FrontEnd, ManyConnectionsAtOnceEachGetOnlyTheirOwnAnswersInOrder) {
  std::atomic<int> handled{0};
  FrontEndOptions options;
  options.max_connections_per_client = 1000;
  Served served(
      8,
      [&](http::Request&& r) {
        ++handled;
        if (handled % 7 == 0) std::this_thread::yield();
        return echo(std::move(r));
      },
      options);
  constexpr int kClients = 8, kConnections = 50, kRequests = 10;
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      std::vector<RawConnection> mine;
      for (int i = 0; i < kConnections; ++i) mine.emplace_back("127.0.0.1", served.port);
      for (int i = 0; i < kConnections; ++i) {
        std::string requests;
        for (int k = 0; k < kRequests; ++k) {
          requests += "GET /c" + std::to_string(t) + "-" + std::to_string(i) + "-" +
                      std::to_string(k) + " HTTP/1.1\r\nHost: h\r\n\r\n";
        }
        const auto half = requests.size() / 2 + 3;  // split inside a request head
        if (!mine[i].send(requests.substr(0, half)) || !mine[i].send(requests.substr(half))) {
          ++wrong;
        }
      }
      for (int i = 0; i < kConnections; ++i) {
        std::string answers;
        for (int tries = 0; tries < 50 && count_of(answers, "HTTP/1.1 200") < kRequests; ++tries) {
          answers += mine[i].receive(100ms);
        }
        const std::string own = "GET /c" + std::to_string(t) + "-" + std::to_string(i) + "-";
        std::size_t at = 0;
        for (int k = 0; k < kRequests; ++k) {
          const auto next = answers.find(own + std::to_string(k) + " ", at);
          if (next == std::string::npos) {
            ++wrong;
            break;
          }
          at = next;
        }
        if (count_of(answers, "HTTP/1.1 200") != kRequests ||
            count_of(answers, "GET /c") != kRequests) {
          ++wrong;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(handled.load(), kClients * kConnections * kRequests);
  EXPECT_EQ(served.front_end->stats().accepted,
            static_cast<std::uint64_t>(kClients * kConnections));
}

// Only `running_threads` threads run requests at once; one that announces it is about to block
// (a commit wait, a plugin call, the network) lets another run in its place.
TEST(FrontEnd, AThreadAboutToBlockLetsAnotherRunInItsPlace) {
  for (const bool announced : {true, false}) {
    std::mutex mutex;
    std::condition_variable released;
    bool release = false;
    std::atomic<int> blocked{0};
    FrontEndOptions options;
    options.running_threads = 2;
    Served served(
        8,
        [&](http::Request&& r) {
          if (r.target == "/block") {
            if (announced) util::about_to_block();
            ++blocked;
            std::unique_lock lock(mutex);
            released.wait(lock, [&] { return release; });
          }
          return echo(std::move(r));
        },
        options);
    std::vector<RawConnection> blocking;
    for (int i = 0; i < (announced ? 6 : 2); ++i) {
      blocking.emplace_back("127.0.0.1", served.port);
      ASSERT_TRUE(blocking.back().send("GET /block HTTP/1.1\r\nHost: h\r\n\r\n"));
    }
    while (blocked < (announced ? 6 : 2)) std::this_thread::sleep_for(5ms);
    RawConnection fast("127.0.0.1", served.port);
    ASSERT_TRUE(fast.send("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n"));
    const auto answer = fast.receive(500ms);
    if (announced) {
      EXPECT_NE(answer.find("GET /fast"), std::string::npos)
          << "six handlers waiting, two places, and a request is still answered";
    } else {
      EXPECT_EQ(answer, "") << "two handlers that block unannounced hold both places";
    }
    {
      std::lock_guard lock(mutex);
      release = true;
    }
    released.notify_all();
    for (auto& c : blocking) EXPECT_NE(answer_to(c, "GET /block"), std::string::npos);
    if (!announced) {
      EXPECT_NE(answer_to(fast, "GET /fast"), std::string::npos);
    }
  }
}

// What a handler leaves for later (util/after_answer.h: the outbox's wake-up) runs once its
// answer is on the socket: the deferred work here waits for the client to have the answer, which
// it never would if the work ran first on the thread that writes it.
TEST(FrontEnd, WorkAHandlerDefersRunsAfterItsAnswerIsWritten) {
  struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool answer_received = false;
    bool ran = false;
    bool ran_after_answer = false;
  } gate;
  const util::AfterAnswer::Work wait_for_the_answer = [](void* p) noexcept {
    auto& g = *static_cast<Gate*>(p);
    std::unique_lock lock(g.m);
    g.ran_after_answer = g.cv.wait_for(lock, 5s, [&] { return g.answer_received; });
    g.ran = true;
    g.cv.notify_all();
  };
  Served served(2, [&](http::Request&& request) {
    util::AfterAnswer::defer(wait_for_the_answer, &gate);
    return echo(std::move(request));
  });
  RawConnection c("127.0.0.1", served.port);
  ASSERT_TRUE(c.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\n"));
  const bool answered = answer_to(c, "GET /first") != std::string::npos;
  std::unique_lock lock(gate.m);
  gate.answer_received = true;
  gate.cv.notify_all();
  ASSERT_TRUE(gate.cv.wait_for(lock, 10s, [&] { return gate.ran; })) << "the work never ran";
  EXPECT_TRUE(answered) << "the answer waited for the work";
  EXPECT_TRUE(gate.ran_after_answer);
}

// A handler that takes its answer (http/answer_later.h) and leaves the rest to another thread,
// as a start leaves its answer to the commit holding its rows.
struct Later {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<http::PostAnswer, std::string>> waiting;  // the post, and what to say

  FrontEnd::Handler handler() {
    return [this](http::Request&& r) {
      if (r.target.rfind("/now", 0) == 0) return echo(std::move(r));
      auto post = http::AnswerLater::take();
      http::AnswerLater::then([](http::Response& answer) { answer.set("X-Step", "ran"); });
      std::lock_guard lock(m);
      waiting.emplace_back(std::move(post), "later " + r.target);
      cv.notify_all();
      return http::Response{};  // not the answer
    };
  }
  /// Waits for @p n taken answers, then posts them from another thread, newest first.
  void answer(std::size_t n) {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return waiting.size() >= n; }));
    auto posts = std::exchange(waiting, {});
    lock.unlock();
    std::thread([posts = std::move(posts)]() mutable {
      for (auto it = posts.rbegin(); it != posts.rend(); ++it) {
        it->first([said = it->second] {
          http::Response r;
          r.body = said;
          return r;
        });
      }
    }).join();
  }
};

TEST(FrontEnd, AnAnswerTakenByItsHandlerIsSentWhenPostedFromAnotherThread) {
  Later later;
  Served served(2, later.handler());
  RawConnection c("127.0.0.1", served.port);
  ASSERT_TRUE(c.send("GET /one HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c.receive(200ms), "") << "nothing is sent before the answer is posted";
  later.answer(1);
  const auto got = c.receive(2s);
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("X-Step: ran\r\n"), std::string::npos) << "the handler's step ran on it";
  EXPECT_NE(got.find("later /one"), std::string::npos);
  EXPECT_EQ(served.front_end->stats().answered_later, 1u);
  ASSERT_TRUE(c.send("GET /now HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_NE(answer_to(c, "GET /now"), std::string::npos) << "the connection goes on as before";
}

// Pipelined requests stay in order: the one after a request answered later waits for it, and
// a thousand connections answered later at once each get their own answer.
TEST(FrontEnd, AnswersMadeLaterKeepEachConnectionsOrderAndTheirOwnBytes) {
  raise_open_file_limit();
  Later later;
  FrontEndOptions options;
  options.max_connections_per_client = 4000;
  Served served(2, later.handler(), options);
  RawConnection pipelined("127.0.0.1", served.port);
  ASSERT_TRUE(
      pipelined.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\n"
                     "GET /now-second HTTP/1.1\r\nHost: h\r\n\r\n"
                     "GET /third HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(pipelined.receive(200ms), "") << "the second waits for the first's answer";
  later.answer(1);
  later.answer(1);
  std::string got;
  for (int tries = 0; tries < 20 && count_of(got, "HTTP/1.1 200") < 3; ++tries) {
    got += pipelined.receive(100ms);
  }
  const auto first = got.find("later /first"), second = got.find("GET /now-second"),
             third = got.find("later /third");
  ASSERT_NE(third, std::string::npos) << got;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);

  // Two answered later one after the other, both already read when the first is answered.
  ASSERT_TRUE(
      pipelined.send("GET /fourth HTTP/1.1\r\nHost: h\r\n\r\n"
                     "GET /fifth HTTP/1.1\r\nHost: h\r\n\r\n"));
  later.answer(1);
  later.answer(1);
  got.clear();
  for (int tries = 0; tries < 20 && count_of(got, "HTTP/1.1 200") < 2; ++tries) {
    got += pipelined.receive(100ms);
  }
  EXPECT_LT(got.find("later /fourth"), got.find("later /fifth")) << got;
  EXPECT_NE(got.find("later /fifth"), std::string::npos) << got;

  // A thousand requests waiting for their answers hold none of the two threads: a request that
  // is answered at once is, meanwhile.
  constexpr int kConnections = 1000;
  std::vector<RawConnection> many;
  for (int i = 0; i < kConnections; ++i) {
    many.emplace_back("127.0.0.1", served.port);
    ASSERT_TRUE(many.back().send("GET /c" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n"));
  }
  {
    std::unique_lock lock(later.m);
    ASSERT_TRUE(later.cv.wait_for(lock, 10s, [&] { return later.waiting.size() == kConnections; }));
  }
  RawConnection meanwhile("127.0.0.1", served.port);
  ASSERT_TRUE(meanwhile.send("GET /now-meanwhile HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_NE(answer_to(meanwhile, "GET /now-meanwhile"), std::string::npos);
  later.answer(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    // The body ends the answer: its own, not another connection's with a longer number.
    const std::string body = "\r\n\r\nlater /c" + std::to_string(i);
    std::string got;
    for (int tries = 0; tries < 20 && got.find(body) == std::string::npos; ++tries) {
      got += many[i].receive(100ms);
    }
    EXPECT_TRUE(got.size() >= body.size() &&
                got.compare(got.size() - body.size(), body.size(), body) == 0)
        << i << ": " << got;
  }
  EXPECT_EQ(served.front_end->stats().answered_later, 4u + kConnections);
}

// A handler that throws after taking its answer is answered at once with a 500; the post that
// still comes finds nothing waiting and sends nothing twice.
TEST(FrontEnd, AHandlerThatThrowsAfterTakingItsAnswerIsAnsweredAtOnce) {
  http::PostAnswer kept;
  Served served(1, [&](http::Request&&) -> http::Response {
    kept = http::AnswerLater::take();
    throw std::runtime_error("gave up");
  });
  RawConnection c("127.0.0.1", served.port);
  ASSERT_TRUE(c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_NE(answer_to(c, "HTTP/1.1 500"), std::string::npos);
  kept([] { return http::Response{}; });
  EXPECT_EQ(c.receive(300ms), "");
  EXPECT_EQ(served.front_end->stats().answered_later, 0u);
}

// A stop waits, within its grace, for answers still to be posted, and sends them with
// `Connection: close`.
TEST(FrontEnd, AStopWaitsForAnswersStillToBePosted) {
  Later later;
  std::optional<Served> served(std::in_place, 2, later.handler());
  RawConnection c("127.0.0.1", served->port);
  ASSERT_TRUE(c.send("GET /in-flight HTTP/1.1\r\nHost: h\r\n\r\n"));
  {
    std::unique_lock lock(later.m);
    ASSERT_TRUE(later.cv.wait_for(lock, 5s, [&] { return later.waiting.size() == 1; }));
  }
  std::thread stopper([&] { served->front_end->stop(5s); });
  std::this_thread::sleep_for(200ms);
  later.answer(1);
  const auto got = c.receive(3s);
  stopper.join();
  EXPECT_NE(got.find("later /in-flight"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos);
}

// A post that comes after the front end is gone (a commit that outlived the grace) still has its
// maker run — it finishes the request's work: counts, the audit log — and its answer dropped.
TEST(FrontEnd, APostAfterTheFrontEndIsGoneIsMadeAndDropped) {
  Later later;
  std::optional<Served> served(std::in_place, 1, later.handler());
  RawConnection c("127.0.0.1", served->port);
  ASSERT_TRUE(c.send("GET /stranded HTTP/1.1\r\nHost: h\r\n\r\n"));
  http::PostAnswer post;
  {
    std::unique_lock lock(later.m);
    ASSERT_TRUE(later.cv.wait_for(lock, 5s, [&] { return later.waiting.size() == 1; }));
    post = later.waiting.front().first;
    later.waiting.clear();
  }
  served->front_end->stop(100ms);
  served.reset();
  EXPECT_TRUE(c.closed_within(1s));
  bool made = false;
  post([&made] {
    made = true;
    return http::Response{};
  });
  EXPECT_TRUE(made);
}

TEST(FrontEnd, ExpectContinueGetsTheInterimAnswerThenTheRealOne) {
  Served served(1, echo);
  RawConnection c("127.0.0.1", served.port);
  ASSERT_TRUE(
      c.send("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
             "Content-Length: 5\r\n\r\n"));
  EXPECT_EQ(c.receive(500ms), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.send("hello"));
  const auto answer = c.receive(500ms);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("POST /x hello"), std::string::npos);
}

TEST(FrontEnd, IdleAndHalfSentConnectionsHoldNoWorker) {
  std::atomic<int> answered{0};
  Served served(1, [&](http::Request&& r) {
    ++answered;
    return echo(std::move(r));
  });
  std::vector<RawConnection> idle;
  for (int i = 0; i < 100; ++i) {
    idle.emplace_back("127.0.0.1", served.port);
    if (i % 2) idle.back().send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
  }
  RawConnection c("127.0.0.1", served.port);
  ASSERT_TRUE(c.send("GET /me HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_NE(c.receive(500ms).find("GET /me"), std::string::npos)
      << "one worker, 100 connections ahead of this one, and it is answered at once";
  EXPECT_EQ(answered.load(), 1);
}

TEST(FrontEnd, AGracefulStopFinishesTheAnswerInFlightAndClosesIdleConnections) {
  std::atomic<bool> inside{false};
  Served served(2, [&](http::Request&& r) {
    inside = true;
    std::this_thread::sleep_for(600ms);
    return echo(std::move(r));
  });
  RawConnection idle("127.0.0.1", served.port);
  RawConnection busy("127.0.0.1", served.port);
  ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"));
  while (!inside) std::this_thread::sleep_for(5ms);
  const auto started = std::chrono::steady_clock::now();
  std::thread stopper([&] { served.front_end->stop(5s); });
  EXPECT_TRUE(idle.closed_within(300ms)) << "idle connections end at once";
  const auto answer = busy.receive(3s);
  stopper.join();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(answer.find("GET /slow"), std::string::npos);
  EXPECT_LT(took, 5s) << "stop ended when the last answer went, not at the grace's end";
  EXPECT_THROW(RawConnection("127.0.0.1", served.port), std::runtime_error)
      << "no longer listening";
}

TEST(FrontEnd, AStopClosesWhatIsStillUnansweredWhenTheGraceEnds) {
  Served served(1, [](http::Request&& r) {
    std::this_thread::sleep_for(1500ms);
    return echo(std::move(r));
  });
  RawConnection busy("127.0.0.1", served.port);
  ASSERT_TRUE(busy.send("GET /stuck HTTP/1.1\r\nHost: h\r\n\r\n"));
  std::this_thread::sleep_for(100ms);
  std::thread stopper([&] { served.front_end->stop(200ms); });
  EXPECT_TRUE(busy.closed_within(1000ms)) << "closed at the grace, before the handler returned";
  EXPECT_EQ(busy.receive(10ms), "");
  stopper.join();
}

TEST(FrontEnd, AClientThatKeepsSendingAfterItsLastAnswerIsCutAtItsDeadline) {
  Served served(2, echo);
  RawConnection flood("127.0.0.1", served.port);
  ASSERT_TRUE(flood.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999\r\n\r\n"));
  std::atomic<bool> stop{false};
  std::atomic<bool> cut{false};
  flood.set_send_timeout(200ms);
  std::thread sender([&] {
    const std::string chunk(64 * 1024, 'x');
    while (!stop) {
      if (flood.send(chunk)) continue;
      if (flood.send_error() == EAGAIN || flood.send_error() == EWOULDBLOCK) continue;  // slow
      cut = true;  // reset or closed by the server
      return;
    }
  });
  // While the flood goes on, another client is served at once.
  std::this_thread::sleep_for(200ms);
  RawConnection other("127.0.0.1", served.port);
  ASSERT_TRUE(other.send("GET /other HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_NE(other.receive(500ms).find("GET /other"), std::string::npos);
  // The flood's connection ends when its lingering time (1 s after the 413) is up.
  for (int i = 0; i < 100 && !cut; ++i) std::this_thread::sleep_for(50ms);
  stop = true;
  sender.join();
  EXPECT_TRUE(cut.load()) << "the server still reads a client it has answered for good";
}

// Lowers this process's soft limit on open files for the life of the object.
class OpenFileLimit {
 public:
  explicit OpenFileLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~OpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

TEST(FrontEnd, RunningOutOfFileDescriptorsShedsConnectionsWithoutSpinning) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0), 1024);
  const int port = listener.address().port();
  FrontEnd front_end({}, {listener}, nullptr, 2, echo);
  // The clients connect first (the kernel completes their handshakes into the backlog); then
  // descriptors run short, and only then does the front end start accepting.
  std::vector<RawConnection> clients;
  for (int i = 0; i < 120; ++i) clients.emplace_back("127.0.0.1", port);
  {
    OpenFileLimit limit(open_descriptors() + 20);
    front_end.start();
    std::this_thread::sleep_for(300ms);
    const double before = cpu_seconds();
    std::this_thread::sleep_for(1s);
    const double used = cpu_seconds() - before;
    EXPECT_LT(used, 0.5) << "the accept loop spins while descriptors are exhausted";
    const auto stats = front_end.stats();
    EXPECT_GT(stats.refused_no_descriptor, 50u);
    EXPECT_GT(stats.open, 5u);
    EXPECT_LT(stats.open, 40u)
        << "the soft limit bounds the highest descriptor number, not a count";
  }
  std::size_t served = 0;
  std::size_t shed = 0;
  for (auto& c : clients) {
    if (!c.send("GET /after HTTP/1.1\r\nHost: h\r\n\r\n")) {
      ++shed;
      continue;
    }
    const auto answer = c.receive(200ms);
    if (answer.find("HTTP/1.1 200") != std::string::npos) {
      ++served;
    } else {
      ++shed;
    }
  }
  EXPECT_EQ(served + shed, clients.size());
  EXPECT_EQ(served, front_end.stats().open) << "every connection accepted is served";
  clients.clear();
  RawConnection fresh("127.0.0.1", port);
  ASSERT_TRUE(fresh.send("GET /fresh HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_NE(fresh.receive(2s).find("GET /fresh"), std::string::npos)
      << "with descriptors back, the server serves again";
  front_end.stop(1s);
}

TEST(FrontEnd, MaxConnectionsIsACeilingAndMaxPerClientCountsByAddress) {
  FrontEndOptions options;
  options.max_connections = 30;
  options.max_connections_per_client = 10;
  Served served(2, echo, options);
  std::vector<RawConnection> from_one;
  for (int i = 0; i < 11; ++i) from_one.emplace_back("127.0.9.1", served.port);
  EXPECT_TRUE(from_one.back().closed_within(500ms)) << "the 11th from one address";
  from_one.pop_back();
  ASSERT_TRUE(from_one.front().send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_NE(from_one.front().receive(1s).find("GET /a"), std::string::npos);
  std::vector<RawConnection> others;
  for (int i = 0; i < 20; ++i) others.emplace_back(testing::loopback(9, 2 + i % 3), served.port);
  RawConnection over("127.0.9.9", served.port);
  EXPECT_TRUE(over.closed_within(500ms)) << "the 31st connection in all";
  const auto stats = served.front_end->stats();
  EXPECT_EQ(stats.refused_per_client, 1u);
  EXPECT_EQ(stats.refused_max_connections, 1u);
  EXPECT_EQ(stats.open, 30u);
}

TEST(FrontEnd, TheOpenFileLimitIsRaisedToTheHardLimit) {
  rlimit hard{};
  ::getrlimit(RLIMIT_NOFILE, &hard);
  OpenFileLimit lowered(256);
  EXPECT_EQ(raise_open_file_limit(), hard.rlim_max);
}

}  // namespace
}  // namespace linkgate::server
