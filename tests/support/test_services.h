#pragma once
// Host services for unit tests: a manual clock, memory keys, a log captured in a string.

#include <memory>
#include <sstream>

#include "services/expiring_keys.h"
#include "services/host_services.h"

namespace linkgate::testing {

struct TestServices {
  std::ostringstream log_text;
  std::shared_ptr<services::ManualClock> clock = std::make_shared<services::ManualClock>();
  services::SharedServices shared;
  std::unique_ptr<services::PluginServices> host;

  explicit TestServices(const std::string& plugin = "test") {
    shared.log = std::make_shared<services::Log>(sdk::LogLevel::debug, false, log_text);
    shared.clock = clock;
    shared.random = std::make_shared<services::OpenSslRandom>();
    shared.metrics = std::make_shared<services::MetricsRegistry>();
    shared.expiring_keys = std::make_shared<services::MemoryExpiringKeys>(*clock);
    shared.http = std::make_shared<services::PocoHttpClient>();
    host = std::make_unique<services::PluginServices>(shared, plugin);
  }
};

}  // namespace linkgate::testing
