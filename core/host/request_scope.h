#pragma once
// The request a thread is working for, so that every log line and audit event written meanwhile
// names it (its X-Request-Id). The server sets it around each request; plugin calls, which run
// on the plugin's own threads, carry it over (plugin_host/call_runner.h).

#include <string>

namespace linkgate::host {

class RequestScope {
 public:
  /// Makes @p id this thread's current request until the scope ends (then the previous one is
  /// current again).
  explicit RequestScope(std::string id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

  /// This thread's current request id; "" outside any request.
  static const std::string& current() noexcept;

 private:
  std::string previous_;
};

}  // namespace linkgate::host
