#pragma once
// linkgate_http_requests_total{route,status} and linkgate_http_request_seconds{route}, counted
// for every request without building a label set or taking the registry's lock once a route and
// status have been seen.

#include <memory>
#include <string>
#include <vector>

#include "host/metrics.h"

namespace linkgate::server {

class RequestMetrics {
 public:
  /// @p registry must outlive this.
  explicit RequestMetrics(host::MetricsRegistry& registry);

  /// Counts one request to @p route (a label from http::route_label()) answered with @p status
  /// after @p seconds. Thread-safe; never throws (a count that cannot be made for want of memory
  /// is dropped).
  void record(const std::string& route, int status, double seconds) noexcept;

 private:
  struct Series {
    host::MetricsRegistry::Counter requests;
    host::MetricsRegistry::Histogram seconds;
  };
  struct Route {
    const std::string* label;
    host::HandleSlots<int, Series, 8> by_status;
  };
  Series series(const std::string& route, int status);

  host::MetricsRegistry& registry_;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace linkgate::server
