#include "server/request_metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "http/routes.h"

namespace linkgate::server {
namespace {

double requests(const host::MetricsRegistry& m, const std::string& route, int status) {
  return m.value("linkgate_http_requests_total",
                 {{"route", route}, {"status", std::to_string(status)}});
}

// Every (route, status) is its own series however many there are — more statuses than a route
// keeps slots for, and a route string that is not one of route_label()'s — and nothing is lost
// while threads count at once.
TEST(RequestMetrics, EachRouteAndStatusIsCountedWhateverTheirNumber) {
  host::MetricsRegistry m;
  RequestMetrics metrics(m);
  const std::string& start = http::route_label("/v1/magic-links");
  const std::string& other = http::route_label("/wp-admin");
  const std::string unlisted = "/not-a-label";
  const std::vector<int> statuses = {202, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        for (int status : statuses) metrics.record(start, status, 0.003);
        metrics.record(other, 404, 0.0001);
        metrics.record(unlisted, 200, 0.0001);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int status : statuses) EXPECT_EQ(requests(m, "/v1/magic-links", status), 2'000) << status;
  EXPECT_EQ(requests(m, "other", 404), 2'000);
  EXPECT_EQ(requests(m, "/not-a-label", 200), 2'000);
  const std::string text = m.render();
  EXPECT_NE(text.find("linkgate_http_request_seconds_count{route=\"/v1/magic-links\"} 24000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("linkgate_http_request_seconds_bucket{route=\"/v1/magic-links\",le=\"0.0025\"}"
                " 0\n"),
      std::string::npos);
  EXPECT_NE(text.find("linkgate_http_request_seconds_count{route=\"other\"} 2000\n"),
            std::string::npos);
}

}  // namespace
}  // namespace linkgate::server
