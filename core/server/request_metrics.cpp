#include "server/request_metrics.h"

#include "http/routes.h"

namespace linkgate::server {

RequestMetrics::RequestMetrics(host::MetricsRegistry& registry) : registry_(registry) {
  for (const std::string* label : http::route_labels()) {
    routes_.push_back(std::make_unique<Route>());
    routes_.back()->label = label;
  }
}

RequestMetrics::Series RequestMetrics::series(const std::string& route, int status) {
  return {registry_.counter("linkgate_http_requests_total",
                            {{"route", route}, {"status", std::to_string(status)}},
                            "HTTP requests by route and status"),
          registry_.histogram("linkgate_http_request_seconds", {{"route", route}},
                              "HTTP request latency")};
}

void RequestMetrics::record(const std::string& route, int status, double seconds) noexcept {
  try {
    Series found = [&] {
      for (const auto& r : routes_) {
        if (r->label == &route) {
          return r->by_status.find(status, [&](int s) { return series(route, s); });
        }
      }
      return series(route, status);
    }();
    found.requests.add();
    found.seconds.observe(seconds);
  } catch (...) {
  }
}

}  // namespace linkgate::server
