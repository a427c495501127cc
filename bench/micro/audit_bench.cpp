// The audit log under concurrent requests: 16 threads each recording events, every record
// returning once its line is written (as a request waits for its line). The process's CPU per
// event, the writer's and the waking included, and events per second.
//   build/audit_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include "audit/audit_log.h"
#include "process_cpu.h"
#include "support/temp_dir.h"

namespace {

using namespace linkgate;

void ManyRequestsRecord(benchmark::State& state) {
  const auto threads = static_cast<int>(state.range(0));
  constexpr int kEventsEach = 200;
  testing::TempDir dir;
  audit::AuditLog log(dir.file("audit.log"));
  audit::AuditEvent event;
  event.event = "link_issued";
  event.identifier_hash = "0123456789abcdef0123456789abcdef";
  event.client = "192.0.2.1";
  event.flow_id = "f-0123456789abcdef";
  double cpu = 0;
  std::int64_t events = 0;
  for (auto _ : state) {
    cpu += bench::cpu_of_calls_on_threads(threads, kEventsEach,
                                          [&] { log.record(event, 1'800'000'000'000); });
    events += threads * kEventsEach;
  }
  state.counters["cpu_us_per_event"] = cpu * 1e6 / static_cast<double>(events);
  state.counters["events_per_write"] =
      static_cast<double>(events) / static_cast<double>(log.writes());
  state.SetItemsProcessed(events);
}
BENCHMARK(ManyRequestsRecord)
    ->ArgName("threads")
    ->Arg(16)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
