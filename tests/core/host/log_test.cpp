// The server's log on a file descriptor: info lines gathered for a few milliseconds and written
// together, warnings at once — lines from many threads at once must still arrive whole, apart and
// in order, none lost, none held back for long; and what goes through it has addresses taken out
// like any other line.
#include "host/log.h"
#include "host/request_scope.h"

#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>

#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace linkgate::host {
namespace {

std::string drain(int fd) {
  std::string all;
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) all.append(buffer, n);
  return all;
}

TEST(Log, LinesFromManyThreadsAtOnceArriveWholeAndNoneIsLost) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  std::string received;
  std::thread reader([&] { received = drain(pipe_fds[0]); });
  {
    Log log(sdk::LogLevel::info, true, pipe_fds[1]);
    constexpr int kThreads = 16, kLines = 2000;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&log, t] {
        // ~300 bytes a line: many lines in the pipe's buffer at once, each well under PIPE_BUF.
        const std::string padding(250, static_cast<char>('a' + t));
        for (int i = 0; i < kLines; ++i) {
          log.write(sdk::LogLevel::info, "test",
                    "t" + std::to_string(t) + " n" + std::to_string(i) + " " + padding);
        }
      });
    }
    for (auto& w : writers) w.join();
  }
  ::close(pipe_fds[1]);
  reader.join();
  ::close(pipe_fds[0]);

  const std::regex whole(
      R"(^\{"time":"[^"]+","level":"info","source":"test","message":"t(\d+) n(\d+) ([a-z])\3{249}"\}$)");
  std::set<std::string> seen;
  std::map<int, int> last_of_thread;  // each writer's lines arrive in the order it wrote them
  std::istringstream lines(received);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, whole)) << "a torn or mixed line: " << line;
    EXPECT_EQ(m[3].str()[0], static_cast<char>('a' + std::stoi(m[1])));
    EXPECT_TRUE(seen.insert(m[1].str() + "/" + m[2].str()).second) << line;
    const int n = std::stoi(m[2]);
    auto [last, first] = last_of_thread.try_emplace(std::stoi(m[1]), n);
    if (!first) {
      EXPECT_EQ(n, last->second + 1) << "out of order: " << line;
    }
    last->second = n;
  }
  EXPECT_EQ(count, 16u * 2000u);
}

/// What arrives on @p fd within @p patience (non-blocking reads until it holds @p wanted).
std::string read_within(int fd, std::chrono::milliseconds patience, const std::string& wanted) {
  std::string got;
  const auto until = std::chrono::steady_clock::now() + patience;
  while (got.find(wanted) == std::string::npos && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) == 1) {
      char buffer[4096];
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
    }
  }
  return got;
}

TEST(Log, AnInfoLineAloneIsWrittenWithinMoments) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  {
    Log log(sdk::LogLevel::info, false, pipe_fds[1]);
    log.write(sdk::LogLevel::info, "core", "listening on http://127.0.0.1:1");
    // Not a timing assertion: a line held back until the log is destroyed fails here.
    const auto got = read_within(pipe_fds[0], std::chrono::seconds(10), "listening on");
    EXPECT_NE(got.find("info [core] listening on http://127.0.0.1:1\n"), std::string::npos) << got;
  }
  ::close(pipe_fds[1]);
  ::close(pipe_fds[0]);
}

TEST(Log, AWarningIsWrittenAtOnceAfterTheLinesBeforeIt) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  {
    Log log(sdk::LogLevel::info, false, pipe_fds[1]);
    log.write(sdk::LogLevel::info, "core", "first");
    log.write(sdk::LogLevel::info, "core", "second");
    log.write(sdk::LogLevel::warning, "core", "third");
    // Read before any gathering could have happened: the warning's own write carried them all.
    ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
    char buffer[4096];
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    ASSERT_GT(n, 0);
    const std::string got(buffer, static_cast<std::size_t>(n));
    const auto first = got.find("first"), second = got.find("second"), third = got.find("third");
    ASSERT_NE(third, std::string::npos) << got;
    ASSERT_NE(first, std::string::npos) << got;
    EXPECT_LT(first, second);
    EXPECT_LT(second, third);
  }
  ::close(pipe_fds[1]);
  ::close(pipe_fds[0]);
}

// A JSON line is built by hand (log.cpp): whatever a message holds — quotes, backslashes, line
// breaks, control characters, bytes that are not UTF-8 — each line is one JSON object whose
// fields read back as written (invalid UTF-8 replaced), and a request id is escaped like the rest.
TEST(Log, AJsonLineIsOneObjectWhateverItsFieldsHold) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const std::string hostile = "a \"quoted\" \\ back\nslash\r\t\x01\x1f\x7f end";
  {
    Log log(sdk::LogLevel::info, true, pipe_fds[1]);
    log.write(sdk::LogLevel::warning, "plug\"in", hostile);
    RequestScope scope("req\"1\n");
    log.write(sdk::LogLevel::error, "core", std::string("bad \xff\xfe utf-8"));
  }
  ::close(pipe_fds[1]);
  const std::string text = drain(pipe_fds[0]);
  ::close(pipe_fds[0]);
  std::istringstream lines(text);
  std::vector<Poco::JSON::Object::Ptr> objects;
  for (std::string line; std::getline(lines, line);) {
    Poco::JSON::Parser parser;
    ASSERT_NO_THROW(objects.push_back(parser.parse(line).extract<Poco::JSON::Object::Ptr>()))
        << line;
  }
  ASSERT_EQ(objects.size(), 2u) << text;
  EXPECT_EQ(objects[0]->getValue<std::string>("level"), "warning");
  EXPECT_EQ(objects[0]->getValue<std::string>("source"), "plug\"in");
  EXPECT_EQ(objects[0]->getValue<std::string>("message"), hostile);
  EXPECT_FALSE(objects[0]->has("request_id"));
  EXPECT_EQ(objects[1]->getValue<std::string>("request_id"), "req\"1\n");
  const auto message = objects[1]->getValue<std::string>("message");
  EXPECT_EQ(message.find('\xff'), std::string::npos) << "only valid UTF-8 is written";
  EXPECT_EQ(message.rfind("bad ", 0), 0u);
  EXPECT_NE(message.find(" utf-8"), std::string::npos);
  const std::regex time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(objects[1]->getValue<std::string>("time"), time));
}

// The part of a line's time up to the second is kept per thread between lines: a line written a
// second after another on the same thread still carries its own second.
TEST(Log, EachLineCarriesTheTimeItWasWritten) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  std::vector<std::time_t> written;
  {
    Log log(sdk::LogLevel::info, false, pipe_fds[1]);
    for (int i = 0; i < 3; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
      written.push_back(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
      log.write(sdk::LogLevel::warning, "core", "line " + std::to_string(i));
    }
  }
  ::close(pipe_fds[1]);
  const std::string text = drain(pipe_fds[0]);
  ::close(pipe_fds[0]);
  std::istringstream lines(text);
  const std::regex stamped(R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.\d{3}Z warning .*)");
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, stamped)) << line;
    ASSERT_LT(n, written.size());
    std::tm tm{};
    tm.tm_year = std::stoi(m[1]) - 1900;
    tm.tm_mon = std::stoi(m[2]) - 1;
    tm.tm_mday = std::stoi(m[3]);
    tm.tm_hour = std::stoi(m[4]);
    tm.tm_min = std::stoi(m[5]);
    tm.tm_sec = std::stoi(m[6]);
    const std::time_t at = timegm(&tm);
    EXPECT_GE(at, written[n]) << line;
    EXPECT_LE(at, written[n] + 1) << line;
  }
  EXPECT_EQ(n, 3u) << text;
}

TEST(Log, LinesOnADescriptorHaveAddressesTakenOut) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  {
    Log log(sdk::LogLevel::info, false, pipe_fds[1]);
    log.write(sdk::LogLevel::warning, "plugin:smtp", "550 5.1.1 <bob@example.com> unknown");
    log.write(sdk::LogLevel::debug, "core", "below the level: not written");
  }
  ::close(pipe_fds[1]);
  const std::string text = drain(pipe_fds[0]);
  ::close(pipe_fds[0]);
  EXPECT_NE(text.find("warning [plugin:smtp] 550 5.1.1 <[address]> unknown\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("bob@"), std::string::npos);
  EXPECT_EQ(text.find("below the level"), std::string::npos);
}

}  // namespace
}  // namespace linkgate::host
