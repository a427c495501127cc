// The front end against an attacker's numbers: thousands of idle sockets, slow heads, bodies
// promised and never sent, TLS handshakes never finished, and one address opening too many
// connections — while a well-behaved client signs in and /healthz stays fast.

#include <sys/resource.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include "support/json_fields.h"
#include "support/raw_connection.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int port_of(const std::string& base_url) {
  return std::stoi(base_url.substr(base_url.rfind(':') + 1));
}

// The attackers are held for the whole test: with deadlines this long, only the front end's
// design keeps them from mattering.
const char* kPatientDeadlines =
    "  header_timeout: 300s\n  request_timeout: 300s\n  keep_alive_timeout: 300s\n";

// @p count connections spread over source addresses 127.0.@p block.x, 250 per address (under
// the per-client limit), each sent @p opening.
std::vector<RawConnection> open_many(int count, int block, int port, const std::string& opening) {
  std::vector<RawConnection> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.emplace_back(loopback(block, 1 + i / 250), port);
    if (!opening.empty()) out.back().send(opening);
  }
  return out;
}

bool wait_for_open(server::Server& server, std::size_t count) {
  for (auto until = Clock::now() + 60s; Clock::now() < until; std::this_thread::sleep_for(50ms)) {
    if (server.connections().open >= count) return true;
  }
  return false;
}

struct Latencies {
  std::vector<double> ms;
  double percentile(double p) {
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  }
};

// 100 /healthz probes 50 ms apart (so the attack goes on for 5 s, five drips each), each on a
// new connection, as a load balancer's health check makes them.
Latencies probe_health(const HttpClient& client) {
  HttpClient(client).get("/healthz");  // the client's own TLS set-up is not the server's delay
  Latencies out;
  for (int i = 0; i < 100; ++i) {
    HttpClient c = client;
    const auto started = Clock::now();
    const auto reply = c.get("/healthz");
    out.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    EXPECT_EQ(reply.status, 200);
    std::this_thread::sleep_for(50ms);
  }
  return out;
}

// Start, read the message, redeem: the whole sign-in of one well-behaved user.
void sign_in(TestServer& server, HttpClient browser, const std::string& who) {
  auto started = browser.post_json("/v1/magic-links", "{\"identifier\":\"" + who + "\"}");
  ASSERT_EQ(started.status, 202) << started.body;
  auto message = server.wait_for_message(who);
  ASSERT_FALSE(message.token.empty());
  auto redeemed =
      browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(redeemed.status, 200) << redeemed.body;
  EXPECT_FALSE(field(redeemed.body, "access_token").empty());
}

// Sends one more byte of a never-ending header line to each of @p drippers every second.
class Dripper {
 public:
  explicit Dripper(std::vector<RawConnection>& drippers)
      : thread_([this, &drippers] {
          while (!stop_) {
            for (auto& c : drippers) c.send("a");
            for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(100ms);
          }
        }) {}
  ~Dripper() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void require_descriptors(rlim_t needed) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ASSERT_GE(limit.rlim_max, needed)
      << "this test holds both ends of its connections: raise the hard limit on open files";
}

TEST(Connections, IdleSlowAndHalfSentClientsDoNotDelayASignIn) {
  require_descriptors(14'000);
  TestConfig config;
  config.server_extra = kPatientDeadlines;
  TestServer server(config);
  const int port = port_of(server.base_url());
  const long rss_before = resident_kib();

  auto idle = open_many(5000, 1, port, "");
  ASSERT_TRUE(wait_for_open(server.server(), 5000));
  const long rss_idle = resident_kib();
  auto drippers = open_many(500, 2, port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ");
  auto half_sent = open_many(500, 3, port,
                             "POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             "application/json\r\nContent-Length: 1000\r\n\r\n{\"identifier\":");
  ASSERT_TRUE(wait_for_open(server.server(), 6000));
  Dripper drip(drippers);

  auto latencies = probe_health(server.client());
  const double p50 = latencies.percentile(0.50);
  const double p99 = latencies.percentile(0.99);
  std::cout << "[ measured ] /healthz with 5,000 idle + 500 dripping + 500 half-sent: p50 " << p50
            << " ms, p99 " << p99 << " ms; RSS " << rss_before / 1024 << " MiB before, "
            << rss_idle / 1024 << " MiB with 5,000 idle connections (both ends in this process: "
            << (rss_idle - rss_before) * 1024 / 5000 << " bytes per connection)\n";
  ::testing::Test::RecordProperty("healthz_p99_ms", std::to_string(p99));
  EXPECT_LT(p99, 100.0);
  sign_in(server, server.client(), "patient@example.com");
  EXPECT_GE(server.server().connections().open, 6000u) << "the attackers were all still there";
  EXPECT_EQ(server.server().connections().timed_out, 0u);
}

TEST(Connections, UnfinishedTlsHandshakesDoNotDelayHttps) {
  require_descriptors(4'000);
  TempDir certs;
  auto [rc, out] = run_python(std::string(source_dir()) + "/tests/tools/test_certificates.py",
                              {certs.path().string()});
  ASSERT_EQ(rc, 0) << out;
  TestConfig config;
  config.server_extra = std::string(kPatientDeadlines) +
                        "  tls: { cert_file: " + certs.file("cert.pem") +
                        ", key_file: " + certs.file("key.pem") + " }\n";
  TestServer server(config);
  const int port = port_of(server.base_url());
  // Half say nothing after connecting; half start a ClientHello (a record header promising 512
  // bytes, and 3 of them) and stop.
  auto silent = open_many(500, 4, port, "");
  auto started = open_many(500, 5, port, std::string("\x16\x03\x01\x02\x00\x01\x00\x01", 8));
  ASSERT_TRUE(wait_for_open(server.server(), 1000));

  HttpClient client = server.client();
  client.ca_file = certs.file("ca.pem");
  auto latencies = probe_health(client);
  const double p99 = latencies.percentile(0.99);
  std::cout << "[ measured ] /healthz over HTTPS with 1,000 unfinished handshakes: p50 "
            << latencies.percentile(0.5) << " ms, p99 " << p99 << " ms\n";
  EXPECT_LT(p99, 100.0);
  sign_in(server, client, "tls-patient@example.com");
  EXPECT_GE(server.server().connections().open, 1000u);
}

TEST(Connections, The257thConnectionFromOneAddressIsRefusedWhileAnotherIsServed) {
  TestConfig config;
  config.server_extra = kPatientDeadlines;
  TestServer server(config);
  const int port = port_of(server.base_url());
  std::vector<RawConnection> greedy;
  for (int i = 0; i < 256; ++i) greedy.emplace_back("127.0.6.1", port);
  ASSERT_TRUE(wait_for_open(server.server(), 256));
  RawConnection one_more("127.0.6.1", port);
  EXPECT_TRUE(one_more.closed_within(1s)) << "the 257th from 127.0.6.1";
  EXPECT_EQ(server.client().get("/healthz").status, 200) << "another address is served";
  ASSERT_TRUE(greedy.back().send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(greedy.back().receive(1s).rfind("HTTP/1.1 200 OK", 0), 0u)
      << "the first 256 are served";
  EXPECT_EQ(server.server().connections().refused_per_client, 1u);
  const auto metrics = server.client().get("/metrics").body;
  EXPECT_NE(
      metrics.find("linkgate_connections_refused_total{reason=\"max_connections_per_client\"} 1"),
      std::string::npos)
      << metrics;

  greedy.pop_back();  // one leaves; its place is free again
  bool served_again = false;
  for (auto until = Clock::now() + 5s; !served_again && Clock::now() < until;) {
    RawConnection again("127.0.6.1", port);
    again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    served_again = again.receive(300ms).rfind("HTTP/1.1 200 OK", 0) == 0;
  }
  EXPECT_TRUE(served_again);
}

}  // namespace
}  // namespace linkgate::testing
