// A plugin built against a future SDK: only the first two descriptor members may be read.
#include <boost/dll/alias.hpp>

#include <cstdint>

namespace {
struct FutureDescriptor {
  std::uint32_t abi_version;
  const char* sdk_version;
  int something_new;
};
const FutureDescriptor kDescriptor{999, "9.9.9", 42};
const void* describe() noexcept {
  return &kDescriptor;
}
}  // namespace

BOOST_DLL_ALIAS(describe, linkgate_plugin)
