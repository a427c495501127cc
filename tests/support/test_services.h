#pragma once
// Host services for unit tests: a manual clock, memory keys, a log captured in a string.

#include <memory>
#include <sstream>

#include "host/expiring_keys.h"
#include "host/host_services.h"

namespace linkgate::testing {

struct TestServices {
  std::ostringstream log_text;
  std::shared_ptr<host::ManualClock> clock = std::make_shared<host::ManualClock>();
  host::SharedServices shared;
  std::unique_ptr<host::PluginServices> host;

  explicit TestServices(const std::string& plugin = "test") {
    shared.log = std::make_shared<host::Log>(sdk::LogLevel::debug, false, log_text);
    shared.clock = clock;
    shared.random = std::make_shared<host::OpenSslRandom>();
    shared.metrics = std::make_shared<host::MetricsRegistry>();
    shared.expiring_keys = std::make_shared<host::MemoryExpiringKeys>(*clock);
    shared.http = std::make_shared<host::PocoHttpClient>();
    host = std::make_unique<host::PluginServices>(shared, plugin);
  }
};

}  // namespace linkgate::testing
