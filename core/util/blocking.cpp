#include "util/blocking.h"

#include <dlfcn.h>

namespace linkgate::util {
namespace {

thread_local void (*hook_)(void*) = nullptr;
thread_local void* context_ = nullptr;

using HostHook = void (*)();

// A plugin links its own copy of this library, whose hook no thread ever installs; the server's
// executable exports its copy's entry point under this name, and the plugin's copy calls that.
HostHook host_hook() {
  static const auto found =
      reinterpret_cast<HostHook>(::dlsym(RTLD_DEFAULT, "linkgate_about_to_block"));
  return found;
}

}  // namespace

void about_to_block() noexcept {
  if (hook_ != nullptr) return hook_(context_);
  if (auto host = host_hook()) host();
}

void on_blocking(void (*hook)(void*), void* context) noexcept {
  hook_ = hook;
  context_ = context;
}

void run_blocking_hook() noexcept {
  if (hook_ != nullptr) hook_(context_);
}

}  // namespace linkgate::util
