#include "host/log.h"

#include "host/request_scope.h"
#include "util/json_escape.h"
#include "util/redact.h"
#include "util/thread_name.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace linkgate::host {

Log::Log(sdk::LogLevel min_level, bool json, std::ostream& out)
    : min_level_(min_level), json_(json), out_(&out) {}

Log::Log(sdk::LogLevel min_level, bool json, int fd)
    : min_level_(min_level), json_(json), fd_(fd), gatherer_([this] { gather(); }) {}

Log::~Log() {
  if (!gatherer_.joinable()) return;
  {
    std::lock_guard lock(waiting_mutex_);
    stopping_ = true;
  }
  arrived_.notify_one();
  gatherer_.join();
  write_out();
}

void Log::put(std::string line, sdk::LogLevel level) {
  if (out_) {
    std::lock_guard lock(mutex_);
    *out_ << line << std::flush;
    return;
  }
  if (level >= sdk::LogLevel::warning) return write_out(std::move(line));
  bool first = false, full = false;
  {
    std::lock_guard lock(waiting_mutex_);
    first = waiting_.empty();
    waiting_ += line;
    full = waiting_.size() >= kGatherAtMost;
  }
  if (full) return write_out();
  if (first) arrived_.notify_one();
}

void Log::write_out(std::string more) {
  std::lock_guard writing(mutex_);  // whoever takes the waiting lines writes them before others
  std::string text;
  {
    std::lock_guard lock(waiting_mutex_);
    text.swap(waiting_);
  }
  text += more;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: nothing better to do
    done += static_cast<std::size_t>(n);
  }
}

void Log::gather() {
  util::name_this_thread("lg-log");
  std::unique_lock lock(waiting_mutex_);
  while (!stopping_) {
    arrived_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    // The first line waits a moment for those that come after it.
    arrived_.wait_for(lock, kGatherFor, [this] { return stopping_; });
    lock.unlock();
    write_out();
    lock.lock();
  }
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

// Appends the time as 2026-12-03T06:41:07.123Z. The part up to the second is formatted once a
// second per thread, not per line.
void append_timestamp(std::string& out) {
  struct Second {  // trivially destructible: nothing runs at thread exit
    std::time_t at = -1;
    char text[32];
    int length = 0;
  };
  thread_local Second second;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  if (secs != second.at) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    const int n = std::snprintf(second.text, sizeof second.text, "%04d-%02d-%02dT%02d:%02d:%02d",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec);
    second.length = n > 0 && n < static_cast<int>(sizeof second.text) ? n : 0;
    second.at = secs;
  }
  out.append(second.text, static_cast<std::size_t>(second.length));
  const auto milli = static_cast<int>(ms % 1000);
  const char tail[] = {'.', static_cast<char>('0' + milli / 100),
                       static_cast<char>('0' + milli / 10 % 10),
                       static_cast<char>('0' + milli % 10), 'Z'};
  out.append(tail, sizeof tail);
}
}  // namespace

void Log::write(sdk::LogLevel level, std::string_view source, std::string_view message) noexcept {
  if (!enabled(level)) return;
  try {
    // Whatever a plugin or a remote server said, no address reaches the log.
    const std::string redacted = util::redact_addresses(message);
    const std::string& request = RequestScope::current();
    std::string line;
    line.reserve(96 + source.size() + request.size() + redacted.size());
    if (json_) {
      // Written directly (the fields are known strings): a Poco JSON object and a stream per
      // line cost more than the rest of a small request's answer.
      line += R"({"time":")";
      append_timestamp(line);
      line += R"(","level":")";
      line += level_name(level);
      line += R"(","source":")";
      util::append_json_text(line, source);
      if (!request.empty()) {
        line += R"(","request_id":")";
        util::append_json_text(line, request);
      }
      line += R"(","message":")";
      util::append_json_text(line, redacted);
      line += "\"}\n";
    } else {
      // Text mode escapes control characters too, so a message cannot forge a log line.
      append_timestamp(line);
      line += ' ';
      line += level_name(level);
      line += " [";
      line += source;
      line += "] ";
      if (!request.empty()) {
        line += '(';
        line += request;
        line += ") ";
      }
      util::append_json_text(line, redacted);
      line += '\n';
    }
    put(std::move(line), level);
  } catch (...) {
    // Logging must never take a request down.
  }
}

}  // namespace linkgate::host
