#pragma once
// A linkgate server in the test process, on a free port, with its own temp folder.

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/settings_loader.h"
#include "server/server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "support/test_config.h"

namespace linkgate::testing {

class TestServer {
 public:
  explicit TestServer(const TestConfig& config = {},
                      std::shared_ptr<const sdk::Clock> clock = nullptr);
  ~TestServer();

  [[nodiscard]] std::string base_url() const { return server_->base_url(); }
  [[nodiscard]] HttpClient client() const { return HttpClient(base_url()); }
  [[nodiscard]] const TempDir& dir() const { return dir_; }
  server::Server& server() { return *server_; }
  /// Stops the server and starts a new one on the same data folder, sharing nothing in memory
  /// with the old one (a process restart); it listens on a new port.
  void restart();
  wiring::Runtime& runtime() { return *server_->runtime(); }

  /// The newest message the outbox channel wrote for @p recipient (waits up to 10 s); with
  /// @p already_seen, once more than that many were written, the newest this call has not
  /// returned before (two messages written within one clock tick have the same file time).
  struct Delivered {
    std::string to, link, code, token, subject, text, html, locale, id;
  };
  Delivered wait_for_message(const std::string& recipient, std::size_t already_seen = 0);
  /// Waits up to 10 s until @p count outbox messages are in @p state ("sent", "dead", ...);
  /// returns the count seen last. The channel's sink sees a message before the worker records it.
  std::int64_t wait_for_outbox(const std::string& state, std::int64_t count);
  /// How many messages the outbox channel has written for @p recipient.
  std::size_t messages_for(const std::string& recipient) const;

 private:
  TempDir dir_;
  std::string outbox_dir_;  // where the development channel writes messages
  std::mutex returned_mutex_;
  std::set<std::string> returned_ids_;  // messages wait_for_message returned
  std::unique_ptr<config::Settings> settings_;
  std::shared_ptr<const sdk::Clock> clock_;
  std::unique_ptr<server::Server> server_;
};

/// Runs /usr/bin/python3 @p script with @p args; returns (exit code, output).
std::pair<int, std::string> run_python(const std::string& script,
                                       const std::vector<std::string>& args);

}  // namespace linkgate::testing
