#pragma once
// The real linkgate binary as a child process, for tests of what only a process shows: signals,
// exit codes, installed files, sd_notify. Its output is read until it says where it listens,
// then drained, so a full pipe never blocks the server's log writes.

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace linkgate::testing {

class ServerProcess {
 public:
  /// Starts `@p binary serve --config @p config` in @p workdir with @p env added, and waits
  /// until it logs "listening on http://127.0.0.1:PORT" (needs log.level info) or exits.
  ServerProcess(const std::string& binary, const std::string& config,
                const std::string& workdir = ".", const Poco::Process::Env& env = {});
  /// SIGKILL, if still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// The port it listens on; empty when it exited first (see output()).
  [[nodiscard]] const std::string& port() const { return port_; }
  /// What it printed before it listened.
  [[nodiscard]] const std::string& output() const { return output_; }
  /// Everything it printed so far.
  [[nodiscard]] std::string all_output() const;
  /// Waits up to @p timeout until its output holds @p text; whether it does.
  bool await_output(const std::string& text, std::chrono::milliseconds timeout);
  void signal(int sig) const;
  /// Its process id.
  [[nodiscard]] int pid() const;
  /// Waits for it to end; its exit code (Poco's: 256 + n when killed by signal n).
  int wait();
  /// SIGTERM, then wait().
  int terminate();

 private:
  Poco::Pipe pipe_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  std::unique_ptr<Poco::PipeInputStream> in_;
  std::thread drain_;
  std::string port_, output_;
  mutable std::mutex mutex_;
  std::condition_variable more_;
  std::string later_;  // what it printed after it listened
};

}  // namespace linkgate::testing
