#include "util/blocking.h"

#include <dlfcn.h>

#include <gtest/gtest.h>

#include <thread>

// What the server's executable exports (core/main.cpp); this test binary exports the same.
extern "C" __attribute__((visibility("default"))) void linkgate_about_to_block() {
  linkgate::util::run_blocking_hook();
}

namespace linkgate::util {
namespace {

thread_local int calls = 0;

void count(void* /*context*/) {
  ++calls;
}

TEST(Blocking, TheHookRunsOnlyOnTheThreadThatInstalledIt) {
  calls = 0;
  about_to_block();
  EXPECT_EQ(calls, 0) << "no hook, nothing happens";
  on_blocking(&count, nullptr);
  about_to_block();
  about_to_block();
  EXPECT_EQ(calls, 2);
  int elsewhere = -1;
  std::thread([&] {
    about_to_block();
    elsewhere = calls;
  }).join();
  EXPECT_EQ(elsewhere, 0) << "another thread has no hook";
  on_blocking(nullptr, nullptr);
  about_to_block();
  EXPECT_EQ(calls, 2);
}

// A plugin's copy of util never has a hook installed; its calls must still reach the server's.
TEST(Blocking, APluginsOwnCopyReachesTheServersHook) {
  void* probe = ::dlopen(LINKGATE_BLOCKING_PROBE, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(probe, nullptr) << ::dlerror();
  auto call = reinterpret_cast<void (*)()>(::dlsym(probe, "probe_about_to_block"));
  ASSERT_NE(call, nullptr);
  calls = 0;
  call();
  EXPECT_EQ(calls, 0);
  on_blocking(&count, nullptr);
  call();
  EXPECT_EQ(calls, 1) << "the probe's copy of util called the executable's hook";
  on_blocking(nullptr, nullptr);
  ::dlclose(probe);
}

}  // namespace
}  // namespace linkgate::util
