// What the kernel's share of a request costs on this machine. One sleep and wake-up of a thread:
// two threads hand a turn back and forth through a condition variable, as a request and the
// group-commit writer do on each commit — free to run on either core, or both pinned to one (the
// switch alone, no other core woken). Real time per round trip is the latency; CPU time per round
// trip over two switches is what each switch costs the machine (a VM's can be several times bare
// metal's). And the two system calls a request makes most: one that does nothing (getpid, as
// OpenSSL's random generator makes per call) and a 4 KiB read of a page the kernel holds (SQLite's
// page read after another connection's commit emptied its cache).
//   build/wakeup_bench

#include <benchmark/benchmark.h>

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

bool run_on_core(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

void BM_ConditionVariableRoundTrip(benchmark::State& state) {
  const bool one_core = state.range(0) != 0;
  cpu_set_t was;
  pthread_getaffinity_np(pthread_self(), sizeof was, &was);
  if (one_core && !run_on_core(0)) {
    state.SkipWithError("cannot pin a thread to core 0");
    return;
  }
  std::mutex mutex;
  std::condition_variable changed;
  int turn = 0;  // 1: the other thread's, 0: ours, -1: stop
  std::thread other([&] {
    if (one_core) run_on_core(0);
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return turn != 0; });
      if (turn < 0) return;
      turn = 0;
      changed.notify_all();
    }
  });
  for (auto _ : state) {
    std::unique_lock lock(mutex);
    turn = 1;
    changed.notify_all();
    changed.wait(lock, [&] { return turn == 0; });
  }
  {
    std::lock_guard lock(mutex);
    turn = -1;
  }
  changed.notify_all();
  other.join();
  pthread_setaffinity_np(pthread_self(), sizeof was, &was);
}
BENCHMARK(BM_ConditionVariableRoundTrip)
    ->ArgName("one_core")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

void BM_SystemCall(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getpid));
}
BENCHMARK(BM_SystemCall);

void BM_CachedPageRead(benchmark::State& state) {
  char path[] = "/tmp/wakeup_bench.XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    state.SkipWithError("cannot make a file in /tmp");
    return;
  }
  unlink(path);
  std::vector<char> page(4096, 'x');
  if (pwrite(fd, page.data(), page.size(), 0) != static_cast<ssize_t>(page.size())) {
    state.SkipWithError("cannot write the file");
    close(fd);
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(pread(fd, page.data(), page.size(), 0));
  close(fd);
}
BENCHMARK(BM_CachedPageRead);

}  // namespace

BENCHMARK_MAIN();
