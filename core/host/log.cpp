#include "host/log.h"

#include "host/request_scope.h"
#include "util/json_escape.h"
#include "util/redact.h"
#include "util/utf8.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace linkgate::host {

Log::Log(sdk::LogLevel min_level, bool json, std::ostream& out)
    : min_level_(min_level), json_(json), out_(&out) {}

Log::Log(sdk::LogLevel min_level, bool json, int fd)
    : min_level_(min_level), json_(json), fd_(fd) {}

void Log::put(const std::string& line) {
  if (!out_) {
    std::unique_lock lock(mutex_, std::defer_lock);
    // The kernel may split a longer write: two long lines at least never interleave.
    if (line.size() > PIPE_BUF) lock.lock();
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // nowhere to log to: nothing better to do
      done += static_cast<std::size_t>(n);
    }
    return;
  }
  std::lock_guard lock(mutex_);
  *out_ << line << std::flush;
}

sdk::LogLevel Log::parse_level(const std::string& name) {
  if (name == "debug") return sdk::LogLevel::debug;
  if (name == "warning") return sdk::LogLevel::warning;
  if (name == "error") return sdk::LogLevel::error;
  return sdk::LogLevel::info;
}

namespace {
const char* level_name(sdk::LogLevel level) {
  switch (level) {
    case sdk::LogLevel::debug:
      return "debug";
    case sdk::LogLevel::info:
      return "info";
    case sdk::LogLevel::warning:
      return "warning";
    case sdk::LogLevel::error:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}
}  // namespace

void Log::write(sdk::LogLevel level, std::string_view source, std::string_view message) noexcept {
  if (!enabled(level)) return;
  try {
    // Whatever a plugin or a remote server said, no address reaches the log.
    const std::string redacted = util::redact_addresses(message);
    message = redacted;
    const std::string& request = RequestScope::current();
    std::string line;
    if (json_) {
      // Written directly (the fields are known strings): a Poco JSON object and a stream per
      // line cost more than the rest of a small request's answer.
      const std::string when = timestamp();
      const std::string from = util::json_escape(util::valid_utf8(source));
      const std::string what = util::json_escape(util::valid_utf8(message));
      line.reserve(64 + from.size() + request.size() + what.size());
      line += R"({"time":")";
      line += when;
      line += R"(","level":")";
      line += level_name(level);
      line += R"(","source":")";
      line += from;
      if (!request.empty()) {
        line += R"(","request_id":")";
        line += util::json_escape(util::valid_utf8(request));
      }
      line += R"(","message":")";
      line += what;
      line += "\"}\n";
    } else {
      // Text mode escapes control characters too, so a message cannot forge a log line.
      line = timestamp() + " " + level_name(level) + " [" + std::string(source) + "] " +
             (request.empty() ? "" : "(" + request + ") ") +
             util::json_escape(util::valid_utf8(message)) + "\n";
    }
    put(line);
  } catch (...) {
    // Logging must never take a request down.
  }
}

}  // namespace linkgate::host
