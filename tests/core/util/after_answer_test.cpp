// util::AfterAnswer: deferred work waits for run() of the scope open on its thread, and runs at
// once where none is.
#include "util/after_answer.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace linkgate::util {
namespace {

struct Log {
  std::vector<int> ran;
};

template <int N>
void record(void* log) noexcept {
  static_cast<Log*>(log)->ran.push_back(N);
}

TEST(AfterAnswer, WithNoScopeOpenTheWorkRunsAtOnce) {
  Log log;
  AfterAnswer::defer(&record<1>, &log);
  EXPECT_EQ(log.ran, std::vector<int>{1});
}

TEST(AfterAnswer, InAScopeTheWorkWaitsForRunAndRunsInOrderOnce) {
  Log log;
  AfterAnswer scope;
  AfterAnswer::defer(&record<1>, &log);
  AfterAnswer::defer(&record<2>, &log);
  AfterAnswer::defer(&record<1>, &log);  // the same again: once is enough
  EXPECT_TRUE(log.ran.empty());
  scope.run();
  EXPECT_EQ(log.ran, (std::vector<int>{1, 2}));
  scope.run();
  EXPECT_EQ(log.ran, (std::vector<int>{1, 2})) << "nothing runs twice";
  AfterAnswer::defer(&record<1>, &log);
  scope.run();
  EXPECT_EQ(log.ran, (std::vector<int>{1, 2, 1})) << "deferred again after a run: runs again";
}

TEST(AfterAnswer, AClosingScopeRunsWhatIsLeft) {
  Log log;
  {
    AfterAnswer scope;
    AfterAnswer::defer(&record<3>, &log);
  }
  EXPECT_EQ(log.ran, std::vector<int>{3});
  AfterAnswer::defer(&record<4>, &log);
  EXPECT_EQ(log.ran, (std::vector<int>{3, 4})) << "the scope is closed: at once again";
}

TEST(AfterAnswer, TheInnermostScopeCollects) {
  Log outer_log, inner_log;
  AfterAnswer outer;
  AfterAnswer::defer(&record<1>, &outer_log);
  {
    AfterAnswer inner;
    AfterAnswer::defer(&record<2>, &inner_log);
  }
  EXPECT_EQ(inner_log.ran, std::vector<int>{2});
  EXPECT_TRUE(outer_log.ran.empty());
  outer.run();
  EXPECT_EQ(outer_log.ran, std::vector<int>{1});
}

TEST(AfterAnswer, AScopeIsItsThreadsOnly) {
  Log log;
  AfterAnswer scope;
  std::thread other([&] { AfterAnswer::defer(&record<5>, &log); });
  other.join();
  EXPECT_EQ(log.ran, std::vector<int>{5}) << "no scope on the other thread: ran there, at once";
}

TEST(AfterAnswer, AFullScopeRunsMoreAtOnceAndLosesNothing) {
  std::vector<Log> logs(20);
  AfterAnswer scope;
  for (auto& log : logs) AfterAnswer::defer(&record<7>, &log);
  int ran_at_once = 0;
  for (const auto& log : logs) ran_at_once += static_cast<int>(log.ran.size());
  EXPECT_GT(ran_at_once, 0);
  EXPECT_LT(ran_at_once, 20);
  scope.run();
  for (const auto& log : logs) EXPECT_EQ(log.ran, std::vector<int>{7});
}

}  // namespace
}  // namespace linkgate::util
