#pragma once
// The audit log: one JSON line per security event, appended to `log.audit_file`. Lines carry the
// time, the event, a keyed hash of the identifier, the client address and the flow id — never a
// token, a code or an address in clear.

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "util/batch_wake.h"

namespace linkgate::audit {

struct AuditEvent {
  std::string event;  // link_issued, link_redeemed, code_redeemed, rejected, rate_limited, ...
  std::string identifier_hash;
  std::string client;
  std::string flow_id;
  std::string reason;      // why it was rejected or limited
  std::string subject;     // the user id, when known
  std::string request_id;  // the request it happened in; record() fills in the current one
};

/// Where security events go. Thread-safe; never fails the request that reports.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  /// Records @p event as happened at @p now_ms (Unix milliseconds). Never throws.
  virtual void record(const AuditEvent& event, std::int64_t now_ms) noexcept = 0;
};

class AuditLog final : public AuditSink {
 public:
  /// Appends to @p path (created 0600, its folder too); an empty path keeps no audit log. Throws
  /// std::runtime_error when the file cannot be opened.
  explicit AuditLog(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /// Hands one line to the writer thread and returns once it is written (in the file, flushed):
  /// the lines of concurrent requests go out together in one write. Thread-safe; never throws.
  void record(const AuditEvent& event, std::int64_t now_ms) noexcept override;
  /// How many writes the writer thread made (each one batch), for tests.
  [[nodiscard]] std::uint64_t writes() const;
  [[nodiscard]] const std::string& path() const { return path_; }

  /// The line record() writes, without the newline.
  static std::string format(const AuditEvent& event, std::int64_t now_ms);

 private:
  void write_batches();

  std::string path_;
  std::FILE* file_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::string queue_;        // lines waiting, joined
  std::uint32_t taken_ = 0;  // batches the writer took (wrapping)
  util::BatchWake written_;  // batches written
  std::uint64_t writes_ = 0;
  bool stopping_ = false;
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace linkgate::audit
