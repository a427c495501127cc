#include "util/allocator_tuning.h"

#include <malloc.h>

#include <string_view>

namespace linkgate::util {

AllocatorTuning tune_allocator_for_this_process(const char* glibc_tunables) noexcept {
  const std::string_view chosen = glibc_tunables == nullptr ? "" : glibc_tunables;
  const auto operator_chose = [&](std::string_view name) {
    return chosen.find(name) != std::string_view::npos;
  };
  AllocatorTuning tuned;
  // Setting either threshold also stops glibc from raising both on its own after a large free,
  // which is why the mapping threshold is set too: left at 128 KiB, larger blocks would each be
  // mapped and unmapped — the same flush.
  if (!operator_chose("glibc.malloc.trim_threshold")) {
    tuned.trim_threshold = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kKeptFreeBytes)) == 1;
  }
  if (!operator_chose("glibc.malloc.mmap_threshold")) {
    tuned.mmap_threshold = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kKeptFreeBytes)) == 1;
  }
  return tuned;
}

}  // namespace linkgate::util
