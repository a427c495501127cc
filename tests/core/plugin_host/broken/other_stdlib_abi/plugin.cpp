// A well-formed plugin of the right ABI version, built against the other libstdc++ ABI
// (-D_GLIBCXX_USE_CXX11_ABI=0: another std::string layout). Its factory would hand the host
// strings it cannot read; the host must refuse it before calling anything.
#include <cstdlib>

#include "linkgate/sdk/sdk.h"

namespace {
linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(const linkgate::sdk::PluginContext&) {
  std::abort();  // never called: the build signature is checked first
}
}  // namespace

LINKGATE_PLUGIN(token_strategy, "otherabi", "1.0.0", "Built with another std::string ABI", {},
                create)
