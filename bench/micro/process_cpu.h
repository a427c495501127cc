#pragma once
// Many threads making the same call at once, timed by the CPU the whole process spent (every
// thread: the callers, and the writer thread that serves them and wakes them), for benchmarks
// of a piece that does the work of many callers together.

#include <ctime>
#include <thread>
#include <vector>

namespace linkgate::bench {

inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Runs @p call @p each times on each of @p threads threads at once; returns the process's CPU
/// seconds meanwhile.
template <typename Call>
double cpu_of_calls_on_threads(int threads, int each, const Call& call) {
  const double before = process_cpu_seconds();
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&call, each] {
      for (int i = 0; i < each; ++i) call();
    });
  }
  for (auto& c : callers) c.join();
  return process_cpu_seconds() - before;
}

}  // namespace linkgate::bench
