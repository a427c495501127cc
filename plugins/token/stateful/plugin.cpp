#include "stateful_token_strategy.h"

namespace {

constexpr linkgate::sdk::ConfigKey kConfigKeys[] = {
    {"store", linkgate::sdk::ConfigType::string, "sqlite:data/tokens.db", false,
     "Where token hashes live: sqlite:PATH, postgresql://user:pass@host:port/db or "
     "redis://[user:password@]host:port or rediss://... (TLS)."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  const auto& c = context.config;
  std::string store = c.get_string("store").value();
  if (store.rfind("sqlite:", 0) == 0) {
    store = "sqlite:" + c.resolve_path(store.substr(7));
  } else if (store.rfind("postgresql://", 0) != 0 && store.rfind("postgres://", 0) != 0 &&
             store.rfind("redis://", 0) != 0 && store.rfind("rediss://", 0) != 0) {
    return linkgate::sdk::fail(
        linkgate::sdk::ErrorCode::invalid,
        c.path() +
            ".store: expected sqlite:PATH, postgresql://..., redis://host:port or rediss://...");
  }
  return linkgate::sdk::make_instance(
      std::make_unique<linkgate::plugins::stateful::StatefulTokenStrategy>(store, context.host));
}

}  // namespace

LINKGATE_PLUGIN(token_strategy, "stateful", "1.0.0",
                "Random 256-bit link tokens, only their SHA-256 stored; atomic single-use redeem",
                kConfigKeys, create)
