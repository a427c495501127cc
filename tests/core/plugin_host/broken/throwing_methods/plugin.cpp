// A user store whose every method throws: the host must contain it and keep serving.
#include <stdexcept>

#include "linkgate/sdk/sdk.h"

namespace {
using namespace linkgate::sdk;

class ThrowingStore final : public UserStore {
 public:
  Result<User> find(const Identifier&) override { throw std::runtime_error("find exploded"); }
  Result<User> get(std::string_view) override { throw std::runtime_error("get exploded"); }
  Result<User> create(const Identifier&) override { throw 42; }
  Result<void> ready() override { throw std::logic_error("ready exploded"); }
};

constexpr ConfigKey kKeys[] = {{"mood", ConfigType::string, "grumpy", false, "How it feels."}};

Result<PluginInstance> create(const PluginContext&) {
  return make_instance(std::make_unique<ThrowingStore>());
}
}  // namespace

LINKGATE_PLUGIN(user_store, "throwing", "0.0.1", "throws from every method", kKeys, create)
