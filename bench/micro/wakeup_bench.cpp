// What one sleep and wake-up of a thread costs on this machine: two threads hand a turn back and
// forth through a condition variable, as a request and the group-commit writer do on each commit.
// Real time per round trip is the latency; CPU time per round trip over two switches is what each
// switch costs the machine (a VM's can be several times bare metal's).
//   build/wakeup_bench

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

void BM_ConditionVariableRoundTrip(benchmark::State& state) {
  std::mutex mutex;
  std::condition_variable changed;
  int turn = 0;  // 1: the other thread's, 0: ours, -1: stop
  std::thread other([&] {
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
}
BENCHMARK(BM_ConditionVariableRoundTrip)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
