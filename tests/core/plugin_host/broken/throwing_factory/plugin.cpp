#include <stdexcept>

#include "linkgate/sdk/sdk.h"

namespace {
linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(const linkgate::sdk::PluginContext&) {
  throw std::runtime_error("cannot reach the moon");
}
}  // namespace

LINKGATE_PLUGIN(token_strategy, "throwingfactory", "0.0.1", "factory throws", {}, create)
