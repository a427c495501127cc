#pragma once
// The server's log: one line per event on stderr, JSON or text, safe from any thread.

#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "linkgate/sdk/host_services.h"

namespace linkgate::host {

class Log {
 public:
  /// Writes lines to @p out, one at a time under a lock.
  Log(sdk::LogLevel min_level, bool json, std::ostream& out);
  /// Writes lines to the file descriptor @p fd (not owned), each with one write(2): lines up to
  /// PIPE_BUF bytes need no lock, since the kernel keeps such writes whole.
  Log(sdk::LogLevel min_level, bool json, int fd);
  /// Writes @p message from @p source ("core", "plugin:jwt", ...) if at or above the level.
  void write(sdk::LogLevel level, std::string_view source, std::string_view message) noexcept;
  [[nodiscard]] bool enabled(sdk::LogLevel level) const { return level >= min_level_; }

  static sdk::LogLevel parse_level(const std::string& name);

 private:
  sdk::LogLevel min_level_;
  bool json_;
  void put(const std::string& line);

  std::ostream* out_ = nullptr;
  int fd_ = -1;
  std::mutex mutex_;
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
