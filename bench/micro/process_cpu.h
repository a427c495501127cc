#pragma once
// The CPU time the whole process has used so far (every thread), for benchmarks that count the
// work of threads other than the one Google Benchmark times (a writer thread, callers it wakes).

#include <ctime>

namespace linkgate::bench {

inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace linkgate::bench
