#include "util/semaphore.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace linkgate::util {
namespace {

using namespace std::chrono_literals;

TEST(Semaphore, GivesOutAsManyPlacesAsItHasThenWaitsInVain) {
  Semaphore places(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(places.try_acquire_for(0ms));
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(places.try_acquire_for(50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - before, 50ms);
  places.release(2);
  EXPECT_TRUE(places.try_acquire_for(0ms));
  EXPECT_TRUE(places.try_acquire_for(0ms));
  EXPECT_FALSE(places.try_acquire_for(0ms));
}

TEST(Semaphore, APlaceGivenBackWakesAWaiter) {
  Semaphore places(0);
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = places.try_acquire_for(60s); });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(got.load());
  places.release();
  waiter.join();
  EXPECT_TRUE(got.load());
}

// Many threads taking and giving back a few places: never more holders than places, and every
// place is back at the end.
TEST(Semaphore, NeverMoreHoldersThanPlaces) {
  constexpr int kPlaces = 4;
  Semaphore places(kPlaces);
  std::atomic<int> holding{0}, most{0}, served{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        while (!places.try_acquire_for(1s)) {
        }
        const int now = ++holding;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        ++served;
        --holding;
        places.release();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(served.load(), 32 * 500);
  EXPECT_LE(most.load(), kPlaces);
  for (int i = 0; i < kPlaces; ++i) EXPECT_TRUE(places.try_acquire_for(0ms));
  EXPECT_FALSE(places.try_acquire_for(0ms));
}

}  // namespace
}  // namespace linkgate::util
