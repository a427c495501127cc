// What one durable file costs on this machine: util::write_file_atomically (create a temporary
// file, write, fsync, rename) of a 900-byte message, as the development outbox channel writes
// each message, from 1, 16 and 32 threads at once (the outbox's default workers are 16 per
// channel). items_per_second is the most files per second this disk allows that way.
//   build/file_bench

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "util/files.h"

namespace {

void BM_DurableFileWrite(benchmark::State& state) {
  static std::filesystem::path folder;
  if (state.thread_index() == 0) {
    folder = std::filesystem::temp_directory_path() /
             ("linkgate-file-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
  }
  const std::string content(900, 'x');
  std::size_t n = 0;
  for (auto _ : state) {
    const auto file =
        folder / (std::to_string(state.thread_index()) + "-" + std::to_string(n++) + ".json");
    auto error = linkgate::util::write_file_atomically(file.string(), content);
    if (!error.empty()) state.SkipWithError(error.c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  if (state.thread_index() == 0) {
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
  }
}
BENCHMARK(BM_DurableFileWrite)->Threads(1)->Threads(16)->Threads(32)->UseRealTime()->MinTime(2);

}  // namespace

BENCHMARK_MAIN();
