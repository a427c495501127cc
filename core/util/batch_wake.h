#pragma once
// Waiting for a batch: a thread hands its work to a writer thread that does the work of many
// callers at once (a commit, a write of log lines) and sleeps until the batch holding it is done.
// The writer wakes all of a batch's callers with one system call, and none of the next batch's:
// callers sleep on one of two words by their batch's parity, and the callers queued while a
// batch is being done belong to the next one. Batches are numbered by their user, from 1 up
// (wrapping), and finished in order.

#include <atomic>
#include <cstdint>

namespace linkgate::util {

class BatchWake {
 public:
  /// Returns once batch @p batch is finished (finish() of it or of a later batch of the same
  /// parity). Thread-safe; never throws.
  void wait(std::uint32_t batch) noexcept;
  /// Marks @p batch finished and wakes its callers. Everything they read of the batch's results
  /// must be written before: a caller may return, and free what it handed over, at once.
  /// Called by the one thread that does the batches, in order. Never throws.
  void finish(std::uint32_t batch) noexcept;

 private:
  std::atomic<std::uint32_t> finished_[2] = {0, 0};  // the last batch finished of each parity
};

}  // namespace linkgate::util
