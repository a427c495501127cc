// SIGTERM under load: the server stops taking connections, answers what it took, finishes the
// sends under way, hands the rest of the outbox back, and exits 0 — and every start that got a
// 202 is delivered (after a restart, for the ones still queued) with its audit line written.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "sql/database.h"
#include "support/child_process.h"
#include "support/json_fields.h"
#include "support/server_process.h"
#include "support/smtp_server.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

TEST(Shutdown, SigtermUnderLoadLosesNoAcceptedSignInAndExitsZero) {
  TempDir dir, mail_dir;
  // A relay that takes 50 ms per message: sends are under way when SIGTERM comes.
  SmtpServer smtp(mail_dir, {"--delay-ms", "50"});
  TestConfig config;
  config.log_level = "info";
  config.rate_limits = "{ per_identifier: 1000/1m, per_client: 1000000/1m, resend_cooldown: 0s }";
  auto delivery = [&](int concurrency) {
    return "  - plugin: smtp\n    for: email\n    concurrency: " + std::to_string(concurrency) +
           "\n    config: { host: 127.0.0.1, port: " + std::to_string(smtp.port()) +
           ", tls: none, from: \"Acme <no-reply@acme.example>\", timeout: 5s }\n";
  };
  // Slower than the starts, so messages are queued at the signal...
  config.delivery = delivery(2);
  config.outbox_retry = "{ attempts: 20, backoff: 1s..1s }";
  const std::string file = config.write(dir);
  // ...and faster after the restart, so the test does not wait long for the rest.
  config.delivery = delivery(16);
  const std::string restart_file = dir.file("restart.yaml");
  std::ofstream(restart_file) << config.yaml(dir);

  std::set<std::string> accepted;
  std::mutex accepted_mutex;
  int exit_code = -1;
  {
    ServerProcess server(LINKGATE_BINARY, file);
    ASSERT_FALSE(server.port().empty()) << server.output();
    std::atomic<bool> stop_clients{false};
    std::atomic<int> next{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
      clients.emplace_back([&] {
        HttpClient client("http://127.0.0.1:" + server.port());
        while (!stop_clients) {
          const std::string who = "load" + std::to_string(next++) + "@example.com";
          try {
            auto r = client.post_json("/v1/magic-links", "{\"identifier\":\"" + who + "\"}");
            if (r.status == 202) {
              std::lock_guard lock(accepted_mutex);
              accepted.insert(who);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          } catch (const std::exception&) {
            return;  // the server stopped taking connections
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_GT(smtp.count(), 0u) << "delivery under way before the signal";
    exit_code = server.terminate();
    stop_clients = true;
    for (auto& c : clients) c.join();
  }
  EXPECT_EQ(exit_code, 0);
  ASSERT_GT(accepted.size(), 50u) << "too little load to show anything";
  const std::size_t delivered_before_restart = smtp.count();
  EXPECT_LT(delivered_before_restart, accepted.size())
      << "the relay is slower than the starts: some must still be queued at the signal";

  // Nothing was left leased: what the workers had claimed and not sent went back as pending.
  {
    auto db = sql::Database::open("sqlite:" + dir.file("outbox.db"), 1);
    auto lease = db->session();
    int sending = -1, pending = -1;
    *lease << "SELECT COUNT(*) FROM lg_outbox WHERE state = 'sending'",
        Poco::Data::Keywords::into(sending), Poco::Data::Keywords::now;
    *lease << "SELECT COUNT(*) FROM lg_outbox WHERE state = 'pending'",
        Poco::Data::Keywords::into(pending), Poco::Data::Keywords::now;
    EXPECT_EQ(sending, 0) << "a claimed message waits out its lease instead of going back";
    EXPECT_GT(pending, 0);
    std::cout << accepted.size() << " starts accepted, " << delivered_before_restart
              << " delivered before the signal's exit, " << pending << " queued for the restart\n";
  }

  // Every accepted start has its audit line, and no line is torn.
  std::ifstream audit(dir.file("audit.log"));
  std::size_t issued = 0;
  for (std::string line; std::getline(audit, line);) {
    auto event = json(line);  // throws on a torn line
    if (event->getValue<std::string>("event") == "link_issued") ++issued;
  }
  EXPECT_GE(issued, accepted.size());

  // After a restart every accepted start is delivered.
  ServerProcess again(LINKGATE_BINARY, restart_file);
  ASSERT_FALSE(again.port().empty()) << again.output();
  std::set<std::string> received;
  for (int i = 0; i < 600 && received.size() < accepted.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    received.clear();
    for (std::size_t n = 1; n <= smtp.count(); ++n) {
      received.insert(
          smtp.envelope(static_cast<int>(n))->getArray("rcpt_tos")->getElement<std::string>(0));
    }
  }
  std::vector<std::string> lost;
  for (const auto& who : accepted) {
    if (!received.count(who)) lost.push_back(who);
  }
  EXPECT_TRUE(lost.empty()) << lost.size() << " accepted of " << accepted.size()
                            << " never delivered, e.g. " << (lost.empty() ? "" : lost.front());
  EXPECT_EQ(again.terminate(), 0);
}

}  // namespace
}  // namespace linkgate::testing
