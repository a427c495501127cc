#pragma once
// Per-plugin call deadlines. A plugin call that may block (a store, a gateway) runs on the
// plugin's own worker threads while the caller waits at most the plugin's `call_timeout`; past
// it the caller gets ErrorCode::unavailable and a log line naming the plugin, and the stuck
// call finishes (or not) on its own thread, holding the plugin object — and so its library —
// alive. When every worker is stuck, calls fail at once instead of queueing behind them.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "host/log.h"
#include "host/metrics.h"
#include "host/request_scope.h"
#include "linkgate/sdk/result.h"
#include "util/blocking.h"

namespace linkgate::plugin_host {

class CallRunner {
 public:
  /// @p timeout 0 runs calls on the caller's thread (no deadline). With @p metrics (which must
  /// outlive the runner), each call's wall time goes to `linkgate_plugin_call_seconds{plugin,
  /// method}` (a call past its deadline counts the deadline) and each deadline missed or call
  /// refused to `linkgate_plugin_call_failures_total{plugin, method, reason="timeout|busy"}`.
  CallRunner(std::string plugin, std::chrono::milliseconds timeout, host::Log& log,
             std::size_t max_threads = 64, host::MetricsRegistry* metrics = nullptr);
  ~CallRunner();
  CallRunner(const CallRunner&) = delete;
  CallRunner& operator=(const CallRunner&) = delete;

  /// Runs @p call (which must own copies of its arguments) within the deadline.
  template <class R>
  R run(const char* method, std::function<R()> call) {
    const auto started = std::chrono::steady_clock::now();
    if (timeout_.count() <= 0) {
      R result = call();
      observe(method, started);
      return result;
    }
    auto slot = std::make_shared<Slot<R>>();
    // The plugin's log lines on its own thread still name the request they serve.
    const bool queued = submit([slot, call = std::move(call), id = host::RequestScope::current()] {
      host::RequestScope scope(id);
      R result = call();
      std::lock_guard lock(slot->mutex);
      slot->value.emplace(std::move(result));
      slot->done.notify_all();
    });
    if (!queued) return sdk::fail(sdk::ErrorCode::unavailable, busy(method));
    util::about_to_block();
    std::unique_lock lock(slot->mutex);
    if (!slot->done.wait_for(lock, timeout_, [&] { return slot->value.has_value(); })) {
      lock.unlock();
      observe(method, started);
      return sdk::fail(sdk::ErrorCode::unavailable, timed_out(method));
    }
    R result = std::move(*slot->value);
    lock.unlock();
    observe(method, started);
    return result;
  }

  [[nodiscard]] std::chrono::milliseconds timeout() const { return timeout_; }
  /// Whether calls run on the caller's thread (no timeout): a caller may then make the call
  /// itself, and record() its time.
  [[nodiscard]] bool runs_inline() const { return timeout_.count() <= 0; }
  /// Counts a call made on the caller's thread, begun at @p started, as run() counts its own.
  /// Thread-safe.
  void record(const char* method, std::chrono::steady_clock::time_point started) {
    observe(method, started);
  }

 private:
  template <class R>
  struct Slot {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<R> value;
  };
  struct State;

  bool submit(std::function<void()> task);
  std::string busy(const char* method);
  std::string timed_out(const char* method);
  void observe(const char* method, std::chrono::steady_clock::time_point started);

  std::string plugin_;
  std::chrono::milliseconds timeout_;
  host::MetricsRegistry* metrics_;
  std::unique_ptr<host::HistogramsByLiteral> call_seconds_;  // null without metrics_
  host::Log& log_;
  std::shared_ptr<State> state_;
};

}  // namespace linkgate::plugin_host
