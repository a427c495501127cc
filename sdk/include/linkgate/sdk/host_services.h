#pragma once
/// @file
/// Services the host lends to plugins, so that a plugin needs to link nothing the host links.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "linkgate/sdk/result.h"

namespace linkgate::sdk {

/// Severity of a log line. Values are part of the ABI: append only.
enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };

/// The host's structured log. Lines carry the plugin's name automatically.
/// Thread safety: safe from any thread. Never pass secrets (tokens, codes, passwords).
class Logger {
 public:
  virtual ~Logger() = default;
  /// Writes one line at @p level. Never throws.
  virtual void log(LogLevel level, std::string_view message) noexcept = 0;
  /// log(LogLevel::debug, m).
  void debug(std::string_view m) noexcept { log(LogLevel::debug, m); }
  /// log(LogLevel::info, m).
  void info(std::string_view m) noexcept { log(LogLevel::info, m); }
  /// log(LogLevel::warning, m).
  void warning(std::string_view m) noexcept { log(LogLevel::warning, m); }
  /// log(LogLevel::error, m).
  void error(std::string_view m) noexcept { log(LogLevel::error, m); }
};

/// Wall-clock time. Tests inject a fake clock, so use this rather than std::chrono::system_clock
/// for anything that decides expiry. Thread safety: safe from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Current time since the Unix epoch.
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const noexcept = 0;
  /// Current time in whole seconds since the Unix epoch.
  [[nodiscard]] std::int64_t now_seconds() const noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
};

/// A cryptographically secure random source (OpenSSL's RAND_bytes).
/// Thread safety: safe from any thread.
class Random {
 public:
  virtual ~Random() = default;
  /// Returns @p count random bytes. Never returns fewer; aborts the process if the system
  /// source fails (continuing with weak randomness would be worse).
  [[nodiscard]] virtual std::string bytes(std::size_t count) noexcept = 0;
};

/// Counters a plugin can add to the host's `/metrics`. Names are prefixed with `linkgate_plugin_`.
/// Thread safety: safe from any thread.
class Metrics {
 public:
  virtual ~Metrics() = default;
  /// Adds @p delta to the counter @p name with the given label values. Never throws.
  virtual void increment(std::string_view name,
                         const std::vector<std::pair<std::string, std::string>>& labels,
                         double delta = 1) noexcept = 0;
};

/// A set of keys that expire, shared by every instance of the deployment (in memory for one
/// process, Redis when `security.store` says so). Used for single-use guarantees: the JWT token
/// strategy records each redeemed token id here until the token's own expiry.
/// Thread safety: safe from any thread; insert_if_absent is atomic across instances.
class ExpiringKeys {
 public:
  virtual ~ExpiringKeys() = default;
  /// Inserts @p key until @p expires_at (Unix seconds). Returns true if this call inserted it,
  /// false if it was already present; ErrorCode::unavailable if the store is down.
  /// Inside TokenStrategy::redeem, when the host completes a sign-in flow on the calling thread
  /// and the keys live in the flows' own database (security.store: memory), the insert commits
  /// together with the flow's completion instead of on its own: true then means the key will
  /// be inserted if the flow completes. Should the key be there by then (inserted before, or
  /// by another caller first), the host undoes the whole redeem and answers ErrorCode::used —
  /// so do not let a lasting effect of redeem depend on true alone.
  [[nodiscard]] virtual Result<bool> insert_if_absent(std::string_view key,
                                                      std::int64_t expires_at) noexcept = 0;
  /// True if @p key is present and not expired.
  [[nodiscard]] virtual Result<bool> contains(std::string_view key) noexcept = 0;
};

/// An outgoing HTTP request for HttpClient.
struct HttpRequest {
  std::string method = "POST";
  std::string url;                                           ///< http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;  ///< Sent as given.
  std::string body;
  std::chrono::milliseconds timeout{10000};  ///< Connect, send and receive, each.
};

/// The answer to an HttpRequest.
struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< Names lower-cased.
  std::string body;                            ///< Truncated at 1 MiB.
};

/// The host's HTTP(S) client (certificates verified against the system CAs).
/// Thread safety: safe from any thread; each call uses its own connection.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// Performs @p request. A transport failure (DNS, refused, TLS, timeout) is
  /// ErrorCode::retryable; a malformed URL is ErrorCode::invalid. Any HTTP status is a success
  /// of this call: the caller decides what a 4xx or 5xx means.
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& request) noexcept = 0;
};

/// Everything the host lends to a plugin. All references stay valid for as long as any object
/// the plugin created lives. Thread safety: every service is safe from any thread.
class HostServices {
 public:
  virtual ~HostServices() = default;
  /// The log; lines are tagged with the plugin's name. Owned by the host.
  [[nodiscard]] virtual Logger& logger() noexcept = 0;
  /// The clock to decide expiry with (a fake one in tests). Owned by the host.
  [[nodiscard]] virtual const Clock& clock() noexcept = 0;
  /// The CSPRNG for tokens, ids and codes. Owned by the host.
  [[nodiscard]] virtual Random& random() noexcept = 0;
  /// Counters that appear on `/metrics` as `linkgate_plugin_*`. Owned by the host.
  [[nodiscard]] virtual Metrics& metrics() noexcept = 0;
  /// The deployment-wide set of expiring keys (`security.store`). Owned by the host.
  [[nodiscard]] virtual ExpiringKeys& expiring_keys() noexcept = 0;
  /// An HTTP(S) client, for gateways and APIs. Owned by the host.
  [[nodiscard]] virtual HttpClient& http() noexcept = 0;
};

}  // namespace linkgate::sdk
