// What one durable file costs on this machine: util::write_file_atomically (create a temporary
// file, write, fsync, rename) of a 900-byte message, as the development outbox channel writes
// each message, from 1, 16 and 32 threads at once (the outbox's default workers are 16 per
// channel). items_per_second is the most files per second this disk allows that way.
// BM_FolderSyncedFileWrite: the same files, each renamed into place and then made durable by a
// syncfs(2) shared with the writers waiting at the same moment (util::FolderSync), as the
// development channel writes them now.
//   build/file_bench

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "util/files.h"
#include "util/folder_sync.h"

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

// The same files made durable together: each written and renamed, then a wait for one syncfs
// shared by every writer waiting at that moment (util::FolderSync, as the outbox channel does).
void BM_FolderSyncedFileWrite(benchmark::State& state) {
  static std::filesystem::path folder;
  static std::unique_ptr<linkgate::util::FolderSync> sync;
  if (state.thread_index() == 0) {
    folder = std::filesystem::temp_directory_path() /
             ("linkgate-file-bench-sync-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    sync = std::make_unique<linkgate::util::FolderSync>(folder.string());
  }
  const std::string content(900, 'x');
  std::size_t n = 0;
  for (auto _ : state) {
    const auto file =
        folder / (std::to_string(state.thread_index()) + "-" + std::to_string(n++) + ".json");
    auto error = linkgate::util::write_file_for_folder_sync(file.string(), content);
    if (error.empty()) error = sync->wait_durable();
    if (!error.empty()) state.SkipWithError(error.c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  if (state.thread_index() == 0) {
    sync.reset();
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
  }
}
BENCHMARK(BM_FolderSyncedFileWrite)
    ->Threads(1)
    ->Threads(16)
    ->Threads(32)
    ->UseRealTime()
    ->MinTime(2);

// The development channel's present shape: one thread writes a batch of 256 files, then one
// syncfs for the batch (OutboxChannel::send_batch). items_per_second is the most messages per
// second that channel can make durable on this disk from one sending thread.
void BM_BatchOfFilesOneSync(benchmark::State& state) {
  const auto folder = std::filesystem::temp_directory_path() /
                      ("linkgate-file-bench-batch-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  linkgate::util::FolderSync sync(folder.string());
  const std::string content(900, 'x');
  constexpr int kBatch = 256;
  std::size_t n = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      const auto file = folder / (std::to_string(n++) + ".json");
      auto error = linkgate::util::write_file_for_folder_sync(file.string(), content);
      if (!error.empty()) state.SkipWithError(error.c_str());
    }
    if (auto error = sync.wait_durable(); !error.empty()) state.SkipWithError(error.c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  std::error_code ec;
  std::filesystem::remove_all(folder, ec);
}
BENCHMARK(BM_BatchOfFilesOneSync)->UseRealTime()->MinTime(2);

// What naming an unnamed, written file costs each way util::write_file_for_folder_sync has: by
// its descriptor (linkat AT_EMPTY_PATH; Linux 6.10 on, or CAP_DAC_READ_SEARCH) or by
// /proc/self/fd/N. A 900-byte file, no sync; CPU per file. The files are removed only when the
// process ends: on an ext4 without a journal each new inode first skips those of its group freed
// lately, one look-up each (docs/performance.md, "The benchmark's own deletions"), which would
// weigh on whichever way ran second.
// Their repetitions interleaved, in one process (all on one line):
//   build/file_bench --benchmark_filter=UnnamedFileNamed --benchmark_repetitions=4
//     --benchmark_min_time=0.3 --benchmark_enable_random_interleaving=true
struct RemovedAtExit {
  std::vector<std::filesystem::path> folders;
  ~RemovedAtExit() {
    std::error_code ec;
    for (const auto& folder : folders) std::filesystem::remove_all(folder, ec);
  }
};
RemovedAtExit removed_at_exit;

void BM_UnnamedFileNamed(benchmark::State& state) {
  const bool by_proc_path = state.range(0) == 1;
  const auto folder = std::filesystem::temp_directory_path() /
                      ("linkgate-file-bench-named-" + std::to_string(::getpid()) + "-" +
                       std::to_string(removed_at_exit.folders.size()));
  std::filesystem::create_directories(folder);
  removed_at_exit.folders.push_back(folder);
  linkgate::util::link_unnamed_files_by_proc_path_only(by_proc_path);
  const std::string content(900, 'x');
  std::size_t n = 0;
  for (auto _ : state) {
    const auto file = folder / ("m" + std::to_string(n++) + ".json");
    auto error = linkgate::util::write_file_for_folder_sync(file.string(), content);
    if (!error.empty()) state.SkipWithError(error.c_str());
  }
  linkgate::util::link_unnamed_files_by_proc_path_only(false);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_UnnamedFileNamed)->ArgName("by_proc_path")->Arg(0)->Arg(1)->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
