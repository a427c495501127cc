#include "audit/audit_log.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "util/json_escape.h"

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
}

AuditLog::~AuditLog() {
  if (file_ != nullptr) std::fclose(file_);
}

std::string AuditLog::format(const AuditEvent& e, std::int64_t now_ms) {
  const std::string time =
      Poco::DateTimeFormatter::format(Poco::Timestamp(now_ms * 1000), "%Y-%m-%dT%H:%M:%S.%iZ");
  std::string line = "{\"time\":\"" + time + "\",\"event\":\"" + util::json_escape(e.event) + "\"";
  auto add = [&line](const char* name, const std::string& value) {
    if (!value.empty())
      line += std::string(",\"") + name + "\":\"" + util::json_escape(value) + "\"";
  };
  add("identifier_hash", e.identifier_hash);
  add("client", e.client);
  add("flow_id", e.flow_id);
  add("reason", e.reason);
  add("subject", e.subject);
  return line + "}";
}

void AuditLog::record(const AuditEvent& event, std::int64_t now_ms) noexcept {
  if (file_ == nullptr) return;
  try {
    const std::string line = format(event, now_ms) + "\n";
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  } catch (...) {
    // An audit line that cannot be formatted (out of memory) must not fail the sign-in.
  }
}

}  // namespace linkgate::audit
