#include "host/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

// A plugin's call times by method: each literal its own series under the fixed labels, every
// observation counted from many threads at once — also past the slots kept (the rest are looked
// up each time).
TEST(HistogramsByLiteral, EachLiteralIsItsSeriesAndNothingIsLostPastTheSlots) {
  MetricsRegistry m;
  HistogramsByLiteral calls(m, "lg_call_seconds", "method", {{"plugin", "p"}}, "Calls");
  static const char* const kMethods[] = {"m00", "m01", "m02", "m03", "m04", "m05", "m06",
                                         "m07", "m08", "m09", "m10", "m11", "m12", "m13",
                                         "m14", "m15", "m16", "m17", "m18", "m19"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&calls] {
      for (int i = 0; i < 2'000; ++i) {
        for (const char* method : kMethods) calls.observe(method, 0.002);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = m.render();
  EXPECT_NE(text.find("# HELP lg_call_seconds Calls\n"), std::string::npos) << text;
  for (const char* method : kMethods) {
    const std::string series = std::string("{plugin=\"p\",method=\"") + method + "\"}";
    EXPECT_NE(text.find("lg_call_seconds_count" + series + " 16000\n"), std::string::npos)
        << method;
    EXPECT_NE(text.find("lg_call_seconds_bucket" + series.substr(0, series.size() - 1) +
                        ",le=\"0.0025\"} 16000\n"),
              std::string::npos)
        << method;
  }
}

// A counter's handle adds to the series add() adds to, from many threads, and makes it at 0: a
// series found up front is rendered before anything is counted.
TEST(MetricsRegistryCounter, IsTheSeriesAddAddsToAndIsRenderedFromTheStart) {
  MetricsRegistry m;
  const auto sent = m.counter("lg_sent_total", {{"channel", "smtp"}}, "Sent");
  EXPECT_NE(m.render().find("lg_sent_total{channel=\"smtp\"} 0\n"), std::string::npos);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, sent] {
      for (int i = 0; i < 5'000; ++i) {
        sent.add();
        m.add("lg_sent_total", {{"channel", "smtp"}});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.value("lg_sent_total", {{"channel", "smtp"}}), 40'000);
  EXPECT_NE(m.render().find("# HELP lg_sent_total Sent\n"), std::string::npos);
}

// A key seen before gets the handle it got then, without making another; past the slots every
// key's handle is made on each look-up, and still the right one.
TEST(HandleSlots, AKeyFindsItsHandleOnceAndKeysPastTheSlotsAreMadeEachTime) {
  HandleSlots<int, int, 4> slots;
  int made = 0;
  auto make = [&made](int key) {
    ++made;
    return key * 10;
  };
  for (int round = 0; round < 3; ++round) {
    for (int key = 1; key <= 6; ++key) EXPECT_EQ(slots.find(key, make), key * 10);
  }
  EXPECT_EQ(made, 4 + 2 * 3);  // keys 1-4 once; 5 and 6 in every round
}

// The zero key marks a slot not yet filled: it is made every time, never matched against a slot
// reserved but still empty (a status of 0 from a broken handler must not read an empty handle).
TEST(HandleSlots, TheZeroKeyIsMadeEveryTimeAndTakesNoSlot) {
  HandleSlots<int, int, 2> slots;
  int made = 0;
  auto make = [&made](int key) {
    ++made;
    return key + 7;
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(slots.find(0, make), 7);
  EXPECT_EQ(slots.find(1, make), 8);
  EXPECT_EQ(slots.find(2, make), 9);
  EXPECT_EQ(slots.find(1, make), 8);
  EXPECT_EQ(made, 3 + 2);  // zero every time; 1 and 2 once each, in the two slots
}

// A counter past a million is still exact (a stream's default precision showed 1.23457e+06);
// fractions keep their digits, and bounds read as written.
TEST(MetricsRegistry, LargeCountersAndSumsRenderExactly) {
  MetricsRegistry m;
  m.add("lg_big_total", {}, 1'234'567);
  m.add("lg_huge_total", {}, 9'876'543'210.0);
  m.set("lg_fraction", {}, 0.1234567891);
  m.observe("lg_seconds", {}, 1234.5678);
  const std::string text = m.render();
  EXPECT_NE(text.find("lg_big_total 1234567\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_huge_total 9876543210\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_fraction 0.1234567891\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_seconds_sum 1234.5678\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_seconds_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << text;
}

// Metrics another part of the server counts itself come after the registry's own, from the
// latest function set under their key, and go when it is removed.
TEST(MetricsRegistry, SourcesRenderAfterTheRegistryAndAreReplacedByKey) {
  MetricsRegistry m;
  m.add("lg_own_total", {}, 1);
  util::LatencyCounts waits;
  waits.record(std::chrono::microseconds(300));
  waits.record(std::chrono::milliseconds(2));
  m.set_source("store", [] { return render_counter("lg_old_total", "Old", 1); });
  m.set_source("store", [&waits] {
    return render_counter("lg_commits_total", "Commits", 2'000'000) +
           render_histogram("lg_wait_seconds", "Waits", waits.read());
  });
  std::string text = m.render();
  EXPECT_EQ(text.find("lg_old_total"), std::string::npos) << "replaced: " << text;
  EXPECT_LT(text.find("lg_own_total 1\n"), text.find("# HELP lg_commits_total Commits\n"));
  EXPECT_NE(text.find("# TYPE lg_commits_total counter\nlg_commits_total 2000000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP lg_wait_seconds Waits\n# TYPE lg_wait_seconds histogram\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lg_wait_seconds_bucket{le=\"0.00025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_wait_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_wait_seconds_bucket{le=\"0.002\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_wait_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_wait_seconds_sum 0.0023\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_wait_seconds_count 2\n"), std::string::npos) << text;
  m.set_source("store", nullptr);
  text = m.render();
  EXPECT_EQ(text.find("lg_commits_total"), std::string::npos) << text;
  EXPECT_NE(text.find("lg_own_total 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace linkgate::host
