#include <cstdio>

#include "linkgate/sdk/sdk.h"

namespace example {

class StdoutChannel final : public linkgate::sdk::DeliveryChannel {
 public:
  explicit StdoutChannel(std::string prefix) : prefix_(std::move(prefix)) {}
  linkgate::sdk::Result<void> send(const linkgate::sdk::Message& m) override {
    std::printf("%s %s\n", prefix_.c_str(), m.to.c_str());
    return linkgate::sdk::success();
  }
  linkgate::sdk::Result<void> ready() override { return linkgate::sdk::success(); }

 private:
  std::string prefix_;
};

std::unique_ptr<linkgate::sdk::DeliveryChannel> make_stdout_channel(std::string prefix) {
  return std::make_unique<StdoutChannel>(std::move(prefix));
}

}  // namespace example
