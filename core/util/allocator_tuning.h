#pragma once

#include <cstddef>

namespace linkgate::util {

/// Free memory glibc keeps at the top of each thread's heap, and the size from which a block
/// gets a mapping of its own: 1 MiB each instead of glibc's 128 KiB.
inline constexpr std::size_t kKeptFreeBytes = 1 << 20;

/// What tune_allocator_for_this_process() set; false where the operator's GLIBC_TUNABLES
/// already chose (theirs wins) or glibc refused.
struct AllocatorTuning {
  bool trim_threshold = false;
  bool mmap_threshold = false;
};

/// Keeps up to kKeptFreeBytes free at the top of each glibc heap instead of handing it back to
/// the kernel. glibc returns a thread heap's free top with madvise() as soon as it passes
/// 128 KiB, and SQLite's statement journals cross that on every commit of a busy writer; each
/// return makes the kernel flush the TLB of every core running one of the process's threads
/// and the next allocations fault the pages back in (12 % of a stateful redeem's CPU, measured
/// in docs/performance.md). The cost is at most kKeptFreeBytes of resident memory per heap.
///
/// `glibc_tunables` is the GLIBC_TUNABLES environment variable (or null): a
/// `glibc.malloc.trim_threshold` or `glibc.malloc.mmap_threshold` named there is left as the
/// operator set it. Call once, first thing in main, before any thread starts; not thread-safe.
/// Never fails: an allocator left as it was is only slower.
AllocatorTuning tune_allocator_for_this_process(const char* glibc_tunables) noexcept;

}  // namespace linkgate::util
