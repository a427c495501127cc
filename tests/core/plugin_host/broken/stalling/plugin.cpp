// A user store that misbehaves by identifier: `slow@...` never answers in time, `garbage@...`
// answers with a user that has no id. The host must contain both and keep serving.
#include <chrono>
#include <thread>

#include "linkgate/sdk/sdk.h"

namespace {
using namespace linkgate::sdk;

class StallingStore final : public UserStore {
 public:
  Result<User> find(const Identifier& i) override {
    if (i.value.rfind("slow@", 0) == 0) std::this_thread::sleep_for(std::chrono::seconds(5));
    if (i.value.rfind("garbage@", 0) == 0) return User{"", "\x01not-an-address", "", ""};
    return fail(ErrorCode::not_found, "");
  }
  Result<User> get(std::string_view) override { return fail(ErrorCode::not_found, ""); }
  Result<User> create(const Identifier& i) override {
    return User{"u-" + i.value, i.value, "", ""};
  }
  Result<void> ready() override { return success(); }
};

Result<PluginInstance> create(const PluginContext&) {
  return make_instance(std::make_unique<StallingStore>());
}
}  // namespace

LINKGATE_PLUGIN(user_store, "stalling", "0.0.1", "stalls or answers garbage on purpose", {}, create)
