#pragma once
// How long something took, counted into fixed buckets with two atomic additions per event (its
// bucket, the sum): cheap enough for every write a server makes, readable at any moment (for
// /metrics) while events are counted.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace linkgate::util {

class LatencyCounts {
 public:
  /// Upper bounds of the buckets, in seconds: fine below 10 ms, where a request's waits lie.
  static constexpr std::array<double, 16> kBounds{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.004,
                                                  0.006,  0.008,   0.01,   0.015, 0.02,  0.03,
                                                  0.05,   0.1,     0.25,   1};

  /// Counts one event that took @p took (a negative duration counts as zero). Thread-safe,
  /// lock-free, never throws.
  void record(std::chrono::nanoseconds took) noexcept;

  /// The counts so far, as a Prometheus histogram has them.
  struct Reading {
    std::array<std::uint64_t, kBounds.size()> at_most{};  // events within each bound (cumulative)
    std::uint64_t count = 0;                              // every event, the slowest too
    double sum_seconds = 0;
  };
  /// Thread-safe; taken while events are counted, it is still a valid histogram (cumulative
  /// counts never above count); the sum may miss the events counted during the reading.
  [[nodiscard]] Reading read() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};  // last: above all
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace linkgate::util
