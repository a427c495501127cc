#include "linkgate/sdk/sdk.h"

namespace {
linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(const linkgate::sdk::PluginContext&) {
  return linkgate::sdk::PluginInstance{};
}
}  // namespace

LINKGATE_PLUGIN(token_strategy, "emptyfactory", "0.0.1", "factory makes nothing", {}, create)
