#include "host/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

namespace linkgate::host {
namespace {

TEST(MetricsRegistry, CountersGaugesAndHistogramsRender) {
  MetricsRegistry m;
  m.add("lg_things_total", {{"kind", "a\"b\\c\nd"}}, 2, "Things");
  m.add("lg_things_total", {{"kind", "a\"b\\c\nd"}}, 3);
  m.set("lg_depth", {}, 7, "Depth");
  m.observe("lg_seconds", {{"route", "/x"}}, 0.003, "Latency");
  m.observe("lg_seconds", {{"route", "/x"}}, 10);
  EXPECT_EQ(m.value("lg_things_total", {{"kind", "a\"b\\c\nd"}}), 5);
  EXPECT_EQ(m.value("lg_depth", {}), 7);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE lg_things_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_things_total{kind=\"a\\\"b\\\\c\\nd\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_depth 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_seconds_bucket{route=\"/x\",le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("lg_seconds_bucket{route=\"/x\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lg_seconds_bucket{route=\"/x\",le=\"2.5\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lg_seconds_bucket{route=\"/x\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lg_seconds_count{route=\"/x\"} 2\n"), std::string::npos);
}

// Requests update series without taking the registry's lock alone; nothing may be lost, and a
// scrape in the middle must still show valid histograms.
TEST(MetricsRegistry, ConcurrentUpdatesAreAllCountedAndScrapesStayValid) {
  MetricsRegistry m;
  std::atomic<bool> done{false};
  std::atomic<int> bad_scrapes{0};
  std::thread scraper([&] {
    while (!done) {
      std::istringstream text(m.render());
      std::uint64_t previous = 0;
      for (std::string line; std::getline(text, line);) {
        if (line.rfind("lg_seconds_bucket", 0) != 0) continue;
        const std::uint64_t v = std::stoull(line.substr(line.rfind(' ') + 1));
        if (line.find("le=\"0.0005\"") != std::string::npos) previous = 0;
        if (v < previous) ++bad_scrapes;
        previous = v;
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 20'000; ++i) {
        m.add("lg_requests_total", {{"route", i % 2 ? "/a" : "/b"}});
        m.add("lg_thread_total", {{"thread", std::to_string(t)}});
        m.observe("lg_seconds", {{"route", "/a"}}, (i % 7) * 0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  scraper.join();
  EXPECT_EQ(m.value("lg_requests_total", {{"route", "/a"}}), 80'000);
  EXPECT_EQ(m.value("lg_requests_total", {{"route", "/b"}}), 80'000);
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(m.value("lg_thread_total", {{"thread", std::to_string(t)}}), 20'000);
  EXPECT_NE(m.render().find("lg_seconds_count{route=\"/a\"} 160000\n"), std::string::npos);
  EXPECT_EQ(bad_scrapes.load(), 0);
}

}  // namespace
}  // namespace linkgate::host
