#pragma once
// The core's implementations of the SDK host services.

#include <atomic>
#include <memory>
#include <string>

#include "host/http_client.h"
#include "host/log.h"
#include "host/metrics.h"
#include "linkgate/sdk/host_services.h"

namespace linkgate::host {

class SystemClock final : public sdk::Clock {
 public:
  std::chrono::system_clock::time_point now() const noexcept override {
    return std::chrono::system_clock::now();
  }
};

/// A clock tests move by hand.
class ManualClock final : public sdk::Clock {
 public:
  explicit ManualClock(std::int64_t start_seconds = 1'800'000'000) : ms_(start_seconds * 1'000) {}
  std::chrono::system_clock::time_point now() const noexcept override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void advance(std::chrono::milliseconds by) { ms_ += by.count(); }
  void set_ms(std::int64_t ms_since_epoch) { ms_ = ms_since_epoch; }

 private:
  std::atomic<std::int64_t> ms_;
};

class OpenSslRandom final : public sdk::Random {
 public:
  std::string bytes(std::size_t count) noexcept override;
};

/// What the core shares between all plugins: one of each service.
struct SharedServices {
  std::shared_ptr<Log> log;
  std::shared_ptr<const sdk::Clock> clock;
  std::shared_ptr<sdk::Random> random;
  std::shared_ptr<MetricsRegistry> metrics;
  std::shared_ptr<sdk::ExpiringKeys> expiring_keys;
  std::shared_ptr<sdk::HttpClient> http;
};

/// One plugin's view of the shared services: its own log source and metric labels.
class PluginServices final : public sdk::HostServices {
 public:
  PluginServices(SharedServices shared, const std::string& plugin_name)
      : shared_(std::move(shared)),
        logger_(*shared_.log, "plugin:" + plugin_name),
        metrics_(*shared_.metrics, plugin_name) {}
  sdk::Logger& logger() noexcept override { return logger_; }
  const sdk::Clock& clock() noexcept override { return *shared_.clock; }
  sdk::Random& random() noexcept override { return *shared_.random; }
  sdk::Metrics& metrics() noexcept override { return metrics_; }
  sdk::ExpiringKeys& expiring_keys() noexcept override { return *shared_.expiring_keys; }
  sdk::HttpClient& http() noexcept override { return *shared_.http; }

 private:
  SharedServices shared_;
  SourceLogger logger_;
  PluginMetrics metrics_;
};

}  // namespace linkgate::host
