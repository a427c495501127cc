// Latency counts: each event in the first bucket whose bound holds it, readings always a valid
// histogram, nothing lost when many threads count at once.
#include "util/latency_counts.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace linkgate::util {
namespace {

using namespace std::chrono_literals;

std::size_t bucket_of(double seconds) {
  for (std::size_t i = 0; i < LatencyCounts::kBounds.size(); ++i) {
    if (seconds <= LatencyCounts::kBounds[i]) return i;
  }
  return LatencyCounts::kBounds.size();
}

TEST(LatencyCounts, AnEventIsWithinEveryBoundFromTheFirstThatHoldsIt) {
  LatencyCounts counts;
  counts.record(250us);  // exactly on a bound: within it
  counts.record(251us);  // just past it
  counts.record(7ms);    // between 6 and 8 ms
  counts.record(-5ms);   // a clock that went back: zero
  counts.record(3s);     // past every bound: only in the count
  const auto r = counts.read();
  EXPECT_EQ(r.count, 5u);
  EXPECT_EQ(r.at_most[bucket_of(0.0001)], 1u) << "the negative one, as zero";
  EXPECT_EQ(r.at_most[bucket_of(0.00025)], 2u);
  EXPECT_EQ(r.at_most[bucket_of(0.0005)], 3u);
  EXPECT_EQ(r.at_most[bucket_of(0.006)], 3u);
  EXPECT_EQ(r.at_most[bucket_of(0.008)], 4u);
  EXPECT_EQ(r.at_most.back(), 4u) << "three seconds is past the last bound (1 s)";
  EXPECT_NEAR(r.sum_seconds, 0.00025 + 0.000251 + 0.007 + 3, 1e-9);
}

TEST(LatencyCounts, ManyThreadsLoseNothingAndEveryReadingIsCumulative) {
  LatencyCounts counts;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done) {
      const auto r = counts.read();
      for (std::size_t i = 1; i < r.at_most.size(); ++i) {
        if (r.at_most[i] < r.at_most[i - 1]) ++bad;
      }
      if (r.at_most.back() > r.count) ++bad;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&counts] {
      for (int i = 0; i < 50'000; ++i) counts.record(std::chrono::microseconds(i % 3000));
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(bad, 0);
  const auto r = counts.read();
  EXPECT_EQ(r.count, 400'000u);
  EXPECT_EQ(r.at_most.back(), 400'000u);
  std::uint64_t within_a_millisecond = 0;
  for (int i = 0; i < 50'000; ++i) within_a_millisecond += i % 3000 <= 1000 ? 8 : 0;
  EXPECT_EQ(r.at_most[bucket_of(0.001)], within_a_millisecond);
}

}  // namespace
}  // namespace linkgate::util
