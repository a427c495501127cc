// util::BatchWake: a batch's callers wake when it is finished, and the next batch's do not.
#include "util/batch_wake.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace linkgate::util {
namespace {

using namespace std::chrono_literals;

// Callers of @p batch, each counted in @p woken once its wait returns.
std::vector<std::thread> callers_of(BatchWake& wake, std::uint32_t batch, int count,
                                    std::atomic<int>& woken) {
  std::vector<std::thread> callers;
  for (int i = 0; i < count; ++i) {
    callers.emplace_back([&wake, batch, &woken] {
      wake.wait(batch);
      ++woken;
    });
  }
  return callers;
}

void wait_until(const std::atomic<int>& value, int expected) {
  for (int i = 0; i < 5000 && value.load() != expected; ++i) std::this_thread::sleep_for(1ms);
}

TEST(BatchWake, FinishingABatchWakesEveryCallerOfItAndNoneOfTheNext) {
  BatchWake wake;
  std::atomic<int> first{0}, second{0};
  auto of_first = callers_of(wake, 1, 64, first);
  auto of_second = callers_of(wake, 2, 64, second);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(first.load() + second.load(), 0) << "nothing is finished yet";
  wake.finish(1);
  wait_until(first, 64);
  EXPECT_EQ(first.load(), 64);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(second.load(), 0) << "batch 2 is not finished";
  wake.finish(2);
  for (auto& t : of_first) t.join();
  for (auto& t : of_second) t.join();
  EXPECT_EQ(second.load(), 64);
}

TEST(BatchWake, ACallerOfAFinishedBatchDoesNotSleep) {
  BatchWake wake;
  wake.finish(1);
  wake.finish(2);
  wake.wait(1);
  wake.wait(2);
  wake.finish(3);  // a later batch of the same parity: batch 1 stays finished
  wake.wait(1);
}

TEST(BatchWake, NumbersWrapAround) {
  BatchWake wake;
  wake.finish(0xFFFF'FFFEu);  // even, like 0, the batch after the next
  wake.finish(0xFFFF'FFFFu);
  std::atomic<int> woken{0};
  auto callers = callers_of(wake, 0, 8, woken);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(woken.load(), 0) << "batch 0 comes after 0xFFFFFFFF and is not finished";
  wake.finish(0);
  for (auto& t : callers) t.join();
  EXPECT_EQ(woken.load(), 8);
}

}  // namespace
}  // namespace linkgate::util
