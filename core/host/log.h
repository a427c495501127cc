#pragma once
// The server's log: one line per event on stderr, JSON or text, safe from any thread.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

#include "linkgate/sdk/host_services.h"

namespace linkgate::host {

class Log {
 public:
  /// Writes lines to @p out, one at a time under a lock.
  Log(sdk::LogLevel min_level, bool json, std::ostream& out);
  /// Writes lines to the file descriptor @p fd (not owned). Warnings and errors are written at
  /// once; info and debug lines (a request's access line among them) wait up to kGatherFor to
  /// be written together with the others of that moment, by a thread of the log's own — one
  /// write(2) for many lines, where one per line was 4-7 % of a session check's CPU. Order is
  /// kept, and the destructor writes whatever still waits.
  Log(sdk::LogLevel min_level, bool json, int fd);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  /// Writes @p message from @p source ("core", "plugin:jwt", ...) if at or above the level.
  void write(sdk::LogLevel level, std::string_view source, std::string_view message) noexcept;
  [[nodiscard]] bool enabled(sdk::LogLevel level) const { return level >= min_level_; }

  static sdk::LogLevel parse_level(const std::string& name);

  /// How long an info line may wait for others to be written with.
  static constexpr std::chrono::milliseconds kGatherFor{5};
  /// Waiting lines past this many bytes are written at once by the thread that added the last.
  static constexpr std::size_t kGatherAtMost = 64 * 1024;

 private:
  sdk::LogLevel min_level_;
  bool json_;
  void put(std::string line, sdk::LogLevel level);
  /// Writes what waits, then @p more (may be empty), with one write(2) where it can.
  void write_out(std::string more = {});
  void gather();

  std::ostream* out_ = nullptr;
  int fd_ = -1;
  std::mutex mutex_;          // the stream; on a descriptor, held while writing to it
  std::mutex waiting_mutex_;  // waiting_ and stopping_
  std::condition_variable arrived_;
  std::string waiting_;  // info and debug lines not yet written
  bool stopping_ = false;
  std::thread gatherer_;  // descriptor only
};

/// A Logger that writes to a Log under a fixed source name (each plugin gets its own).
class SourceLogger final : public sdk::Logger {
 public:
  SourceLogger(Log& log, std::string source) : log_(log), source_(std::move(source)) {}
  void log(sdk::LogLevel level, std::string_view message) noexcept override {
    log_.write(level, source_, message);
  }

 private:
  Log& log_;
  std::string source_;
};

}  // namespace linkgate::host
