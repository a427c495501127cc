#pragma once
/// @file
/// TestHost: the host services a plugin gets from the server, for tests — a clock the test moves,
/// a logger and metrics that record, a replay cache in memory, an HTTP client whose answers the
/// test scripts, and a scratch folder removed with the host. Header-only; part of the linkgate
/// plugin testkit.

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "linkgate/sdk/host_services.h"

namespace linkgate::testkit {

/// A clock that stands still until the test moves it. Thread-safe.
class TestClock final : public sdk::Clock {
 public:
  explicit TestClock(std::int64_t start_seconds = 1'800'000'000) : ms_(start_seconds * 1000) {}
  std::chrono::system_clock::time_point now() const noexcept override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  /// Moves time forward by @p by.
  void advance(std::chrono::milliseconds by) { ms_ += by.count(); }

 private:
  std::atomic<std::int64_t> ms_;
};

/// An HTTP client that sends nothing: it records each request and answers with respond().
/// Thread-safe.
class FakeHttpClient final : public sdk::HttpClient {
 public:
  /// How requests are answered; the default answers 200 with an empty body. Set it before the
  /// plugin runs (it is read without a lock).
  std::function<sdk::HttpResponse(const sdk::HttpRequest&)> respond = [](const auto&) {
    return sdk::HttpResponse{200, {}, ""};
  };
  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request) noexcept override {
    try {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      auto response = respond(request);
      if (response.status == 0) return sdk::fail(sdk::ErrorCode::retryable, "connection refused");
      return response;
    } catch (const std::exception& e) {
      return sdk::fail(sdk::ErrorCode::retryable, e.what());
    }
  }
  /// Every request sent so far, oldest first.
  std::vector<sdk::HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<sdk::HttpRequest> requests_;
};

/// The services a plugin's factory receives, all in memory. Thread-safe; outlive every object
/// made with it.
class TestHost final : public sdk::HostServices {
 public:
  TestHost() : keys_(clock_), random_(std::random_device{}()) {}
  /// Removes the scratch folder, if one was made, with everything in it.
  ~TestHost() override {
    std::error_code ignored;
    if (!scratch_.empty()) std::filesystem::remove_all(scratch_, ignored);
  }
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  sdk::Logger& logger() noexcept override { return logger_; }
  const sdk::Clock& clock() noexcept override { return clock_; }
  sdk::Random& random() noexcept override { return random_; }
  sdk::Metrics& metrics() noexcept override { return metrics_; }
  sdk::ExpiringKeys& expiring_keys() noexcept override { return keys_; }
  sdk::HttpClient& http() noexcept override { return http_; }

  /// The clock, to move time.
  TestClock& test_clock() { return clock_; }
  /// The HTTP client, to script answers and read what was sent.
  FakeHttpClient& fake_http() { return http_; }
  /// Every line logged so far, as "level: message".
  std::vector<std::string> log_lines() const { return logger_.lines(); }
  /// A counter's total (all labels together).
  double counter(const std::string& name) const { return metrics_.total(name); }

  /// A folder of this host's own for the files a plugin under test reads or keeps (a key file,
  /// a user list): made empty on the first call, in the system's temporary folder (`$TMPDIR`,
  /// else /tmp), and the same folder on every later call. It is removed, with everything in it,
  /// when the host is destroyed — after the objects made with the host, which it outlives.
  /// Thread-safe. Throws std::filesystem::filesystem_error when the folder cannot be made.
  std::filesystem::path scratch_directory() {
    std::lock_guard lock(scratch_mutex_);
    if (scratch_.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "linkgate-testkit-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::filesystem::filesystem_error("cannot make a scratch folder", pattern,
                                                std::error_code(errno, std::generic_category()));
      }
      scratch_ = pattern;
    }
    return scratch_;
  }

 private:
  class RecordingLogger final : public sdk::Logger {
   public:
    void log(sdk::LogLevel level, std::string_view message) noexcept override {
      try {
        static const char* names[] = {"debug", "info", "warning", "error"};
        std::lock_guard lock(mutex_);
        lines_.push_back(std::string(names[static_cast<int>(level) & 3]) + ": " +
                         std::string(message));
      } catch (...) {
      }
    }
    std::vector<std::string> lines() const {
      std::lock_guard lock(mutex_);
      return lines_;
    }

   private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
  };

  class RecordingMetrics final : public sdk::Metrics {
   public:
    void increment(std::string_view name, const std::vector<std::pair<std::string, std::string>>&,
                   double delta) noexcept override {
      try {
        std::lock_guard lock(mutex_);
        totals_[std::string(name)] += delta;
      } catch (...) {
      }
    }
    double total(const std::string& name) const {
      std::lock_guard lock(mutex_);
      auto it = totals_.find(name);
      return it == totals_.end() ? 0 : it->second;
    }

   private:
    mutable std::mutex mutex_;
    std::map<std::string, double> totals_;
  };

  class MemoryKeys final : public sdk::ExpiringKeys {
   public:
    explicit MemoryKeys(const sdk::Clock& clock) : clock_(clock) {}
    sdk::Result<bool> insert_if_absent(std::string_view key,
                                       std::int64_t expires_at) noexcept override {
      try {
        std::lock_guard lock(mutex_);
        auto [it, inserted] = keys_.try_emplace(std::string(key), expires_at);
        if (inserted) return true;
        if (it->second <= clock_.now_seconds()) {
          it->second = expires_at;
          return true;
        }
        return false;
      } catch (const std::exception& e) {
        return sdk::fail(sdk::ErrorCode::internal, e.what());
      }
    }
    sdk::Result<bool> contains(std::string_view key) noexcept override {
      try {
        std::lock_guard lock(mutex_);
        auto it = keys_.find(std::string(key));
        return it != keys_.end() && it->second > clock_.now_seconds();
      } catch (const std::exception& e) {
        return sdk::fail(sdk::ErrorCode::internal, e.what());
      }
    }

   private:
    const sdk::Clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> keys_;
  };

  // Not a CSPRNG: tests need variety, not secrecy.
  class TestRandom final : public sdk::Random {
   public:
    explicit TestRandom(std::uint64_t seed) : engine_(seed) {}
    std::string bytes(std::size_t count) noexcept override {
      std::string out(count, '\0');
      std::lock_guard lock(mutex_);
      for (auto& c : out) c = static_cast<char>(engine_() & 0xff);
      return out;
    }

   private:
    std::mutex mutex_;
    std::mt19937_64 engine_;
  };

  TestClock clock_;
  RecordingLogger logger_;
  RecordingMetrics metrics_;
  MemoryKeys keys_;
  TestRandom random_;
  FakeHttpClient http_;
  std::mutex scratch_mutex_;
  std::filesystem::path scratch_;
};

}  // namespace linkgate::testkit
