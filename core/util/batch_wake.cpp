#include "util/batch_wake.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace linkgate::util {
namespace {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "a futex word is a plain 32-bit integer");

// Numbers wrap; a later batch of the same parity finishes only after this one.
bool finished_by(std::uint32_t last, std::uint32_t batch) {
  return static_cast<std::int32_t>(last - batch) >= 0;
}

}  // namespace

void BatchWake::wait(std::uint32_t batch) noexcept {
  auto& word = finished_[batch & 1];
  for (std::uint32_t last = word.load(std::memory_order_acquire); !finished_by(last, batch);
       last = word.load(std::memory_order_acquire)) {
    // Returns at once when the word no longer holds `last`; early returns are checked again.
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, last, nullptr,
              nullptr, 0);
  }
}

void BatchWake::finish(std::uint32_t batch) noexcept {
  auto& word = finished_[batch & 1];
  word.store(batch, std::memory_order_release);
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX,
            nullptr, nullptr, 0);
}

}  // namespace linkgate::util
