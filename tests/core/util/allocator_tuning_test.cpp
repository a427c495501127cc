// Memory a thread frees stays with its heap for the next allocation instead of going back to
// the kernel (each return flushes the TLB of every core the process runs on).
#include "util/allocator_tuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace linkgate::util {
namespace {

struct HeapChange {
  std::size_t grew = 0;      // bytes the thread's heap took from the kernel for the blocks
  std::size_t returned = 0;  // bytes it gave back once they were freed
};

// Small blocks (below any mapping threshold) allocated and freed by a thread of its own, whose
// heap is one of glibc's per-thread arenas — where a busy server's request threads allocate.
HeapChange allocate_and_free_on_a_new_thread(std::size_t bytes) {
  HeapChange change;
  std::thread([&] {
    constexpr std::size_t kBlock = 400;
    std::vector<void*> blocks;
    blocks.reserve(bytes / kBlock);
    const std::size_t before = mallinfo2().arena;
    for (std::size_t i = 0; i < bytes / kBlock; ++i) blocks.push_back(std::malloc(kBlock));
    const std::size_t grown = mallinfo2().arena;
    // In allocation order: the first few freed wait in the thread's cache, the rest join into
    // one free run ending at the heap's top — what glibc decides to return or keep.
    for (void* block : blocks) std::free(block);
    const std::size_t after = mallinfo2().arena;
    change.grew = grown - before;
    change.returned = grown - after;
  }).join();
  return change;
}

// Exits 0 when the heap kept (or, untuned, returned) what the thread freed. Run through
// EXPECT_EXIT in gtest's "threadsafe" style, which re-executes this binary for the one test: the
// tuning is process-wide, and a long-running test process's heaps carry the history of every
// test before (glibc also raises its thresholds on its own after large frees).
[[noreturn]] void measure_and_exit(bool tuned) {
  if (tuned && !tune_allocator_for_this_process(nullptr).trim_threshold) std::_Exit(2);
  const auto change = allocate_and_free_on_a_new_thread(kKeptFreeBytes * 3 / 4);
  std::fprintf(stderr, "the heap grew by %zu bytes and returned %zu\n", change.grew,
               change.returned);
  const bool from_the_heap = change.grew >= kKeptFreeBytes / 2;
  const bool kept = change.returned == 0;
  const bool mostly_returned = change.returned > kKeptFreeBytes / 4;
  std::_Exit(from_the_heap && (tuned ? kept : mostly_returned) ? 0 : 1);
}

TEST(AllocatorTuning, AThreadsFreedMemoryStaysForItsNextAllocations) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(measure_and_exit(true), testing::ExitedWithCode(0), "the heap grew");
}

TEST(AllocatorTuning, WithoutItGlibcHandsTheFreedTopBack) {
  // The behaviour the tuning exists to stop, shown on this glibc: if it no longer returned
  // memory on its own, the tuning (and its cost in resident memory) would not be needed.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(measure_and_exit(false), testing::ExitedWithCode(0), "the heap grew");
}

TEST(AllocatorTuning, WhatTheOperatorsTunablesNameIsLeftAlone) {
  const auto ours = tune_allocator_for_this_process(nullptr);
  EXPECT_TRUE(ours.trim_threshold);
  EXPECT_TRUE(ours.mmap_threshold);
  const auto tuned = tune_allocator_for_this_process(
      "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=4194304");
  EXPECT_FALSE(tuned.trim_threshold) << "the operator's threshold wins";
  EXPECT_TRUE(tuned.mmap_threshold);
  const auto both = tune_allocator_for_this_process(
      "glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=4194304");
  EXPECT_FALSE(both.trim_threshold);
  EXPECT_FALSE(both.mmap_threshold);
}

}  // namespace
}  // namespace linkgate::util
