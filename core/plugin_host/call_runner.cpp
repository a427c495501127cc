#include "plugin_host/call_runner.h"
#include "util/thread_name.h"

#include <thread>

namespace linkgate::plugin_host {

// Shared with the worker threads, which are detached: a worker stuck in a plugin call may
// outlive the runner.
struct CallRunner::State {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> tasks;
  std::size_t threads = 0;
  std::size_t idle = 0;
  std::size_t max_threads = 0;
  bool stopping = false;
};

CallRunner::CallRunner(std::string plugin, std::chrono::milliseconds timeout, host::Log& log,
                       std::size_t max_threads, host::MetricsRegistry* metrics)
    : plugin_(std::move(plugin)),
      timeout_(timeout),
      metrics_(metrics),
      log_(log),
      state_(std::make_shared<State>()) {
  state_->max_threads = max_threads;
  if (metrics_ != nullptr) {
    call_seconds_ = std::make_unique<host::HistogramsByLiteral>(
        *metrics_, "linkgate_plugin_call_seconds", "method", host::Labels{{"plugin", plugin_}},
        "Time the core waited for each call into a plugin");
  }
}

CallRunner::~CallRunner() {
  std::lock_guard lock(state_->mutex);
  state_->stopping = true;
  state_->wake.notify_all();
}

bool CallRunner::submit(std::function<void()> task) {
  std::lock_guard lock(state_->mutex);
  if (state_->idle > state_->tasks.size()) {
    state_->tasks.push_back(std::move(task));
    state_->wake.notify_one();
    return true;
  }
  if (state_->threads >= state_->max_threads) return false;
  ++state_->threads;
  state_->tasks.push_back(std::move(task));
  std::thread([state = state_, name = "lg-" + plugin_] {
    util::name_this_thread(name.c_str());
    std::unique_lock lock(state->mutex);
    while (true) {
      if (state->tasks.empty()) {
        if (state->stopping) break;
        ++state->idle;
        state->wake.wait(lock, [&] { return state->stopping || !state->tasks.empty(); });
        --state->idle;
        continue;
      }
      auto next = std::move(state->tasks.front());
      state->tasks.pop_front();
      lock.unlock();
      next();
      next = nullptr;  // release the plugin object before waiting again
      lock.lock();
    }
    --state->threads;
  }).detach();
  return true;
}

void CallRunner::observe(const char* method, std::chrono::steady_clock::time_point started) {
  if (!call_seconds_) return;
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  call_seconds_->observe(method, took.count());
}

std::string CallRunner::busy(const char* method) {
  if (metrics_ != nullptr) {
    metrics_->add("linkgate_plugin_call_failures_total",
                  {{"plugin", plugin_}, {"method", method}, {"reason", "busy"}}, 1,
                  "Plugin calls past their call_timeout, or refused with every call thread stuck");
  }
  const std::string text =
      "plugin " + plugin_ + ": every call thread is stuck; " + method + " refused without waiting";
  log_.write(sdk::LogLevel::error, "core", text);
  return text;
}

std::string CallRunner::timed_out(const char* method) {
  if (metrics_ != nullptr) {
    metrics_->add("linkgate_plugin_call_failures_total",
                  {{"plugin", plugin_}, {"method", method}, {"reason", "timeout"}}, 1,
                  "Plugin calls past their call_timeout, or refused with every call thread stuck");
  }
  const std::string text = "plugin " + plugin_ + " did not answer " + method + " within " +
                           std::to_string(timeout_.count()) + "ms";
  log_.write(sdk::LogLevel::error, "core", text);
  return text;
}

}  // namespace linkgate::plugin_host
