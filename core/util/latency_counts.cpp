#include "util/latency_counts.h"

namespace linkgate::util {
namespace {

constexpr std::array<std::int64_t, LatencyCounts::kBounds.size()> bounds_in_ns() {
  std::array<std::int64_t, LatencyCounts::kBounds.size()> ns{};
  for (std::size_t i = 0; i < ns.size(); ++i) {
    // Rounded, so that 0.00025 s is 250,000 ns exactly and an event of that length is within it.
    ns[i] = static_cast<std::int64_t>(LatencyCounts::kBounds[i] * 1e9 + 0.5);
  }
  return ns;
}

constexpr auto kBoundsNs = bounds_in_ns();

}  // namespace

void LatencyCounts::record(std::chrono::nanoseconds took) noexcept {
  const std::int64_t ns = took.count() < 0 ? 0 : took.count();
  std::size_t bucket = 0;
  while (bucket < kBoundsNs.size() && ns > kBoundsNs[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

LatencyCounts::Reading LatencyCounts::read() const noexcept {
  Reading reading;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    reading.at_most[i] = total;
  }
  reading.count = total + buckets_[kBounds.size()].load(std::memory_order_relaxed);
  reading.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return reading;
}

}  // namespace linkgate::util
