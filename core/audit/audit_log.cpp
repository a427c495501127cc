#include "audit/audit_log.h"
#include "util/thread_name.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "host/request_scope.h"
#include "util/blocking.h"
#include "util/utf8.h"

namespace linkgate::audit {

AuditLog::AuditLog(const std::string& path) : path_(path) {
  if (path.empty()) return;
  std::error_code ec;
  const auto folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("log.audit_file: cannot open " + path + ": " + std::strerror(errno));
  }
  file_ = ::fdopen(fd, "a");
  if (file_ == nullptr) {
    ::close(fd);
    throw std::runtime_error("log.audit_file: cannot open " + path);
  }
  writer_ = std::thread([this] {
    util::name_this_thread("lg-audit");
    write_batches();
  });
}

AuditLog::~AuditLog() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    queued_.notify_one();
    writer_.join();  // after writing what was queued
  }
  if (file_ != nullptr) std::fclose(file_);
}

void AuditLog::write_batches() {
  std::string batch;
  std::unique_lock lock(mutex_);
  while (true) {
    queued_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, and everything is written
    batch.swap(queue_);
    const std::uint32_t number = ++taken_;
    lock.unlock();
    std::fwrite(batch.data(), 1, batch.size(), file_);
    std::fflush(file_);
    batch.clear();
    lock.lock();
    ++writes_;
    written_.finish(number);
  }
}

std::uint64_t AuditLog::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

std::string AuditLog::format(const AuditEvent& e, std::int64_t now_ms) {
  Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
  line.set("time", Poco::DateTimeFormatter::format(Poco::Timestamp(now_ms * 1000),
                                                   "%Y-%m-%dT%H:%M:%S.%iZ"));
  line.set("event", util::valid_utf8(e.event));
  for (const auto& [name, value] :
       {std::pair{"identifier_hash", &e.identifier_hash}, std::pair{"client", &e.client},
        std::pair{"flow_id", &e.flow_id}, std::pair{"reason", &e.reason},
        std::pair{"subject", &e.subject}, std::pair{"request_id", &e.request_id}}) {
    if (!value->empty()) line.set(name, util::valid_utf8(*value));
  }
  std::ostringstream out;
  line.stringify(out);
  return out.str();
}

void AuditLog::record(const AuditEvent& event, std::int64_t now_ms) noexcept {
  if (file_ == nullptr) return;
  try {
    std::string line;
    if (event.request_id.empty() && !host::RequestScope::current().empty()) {
      AuditEvent named = event;
      named.request_id = host::RequestScope::current();
      line = format(named, now_ms) + "\n";
    } else {
      line = format(event, now_ms) + "\n";
    }
    std::uint32_t batch = 0;
    bool wait = false;
    {
      std::lock_guard lock(mutex_);
      queue_ += line;
      batch = taken_ + 1;  // the writer's next batch takes everything queued
      wait = !stopping_;   // while it stops, nobody waits for it
    }
    queued_.notify_one();
    if (!wait) return;
    // Answered only once its line is written, as before: an audit trail without gaps.
    util::about_to_block();
    written_.wait(batch);
  } catch (...) {
    // An audit line that cannot be formatted (out of memory) must not fail the sign-in.
  }
}

}  // namespace linkgate::audit
