#pragma once
// The threads that answer complete requests. The front end hands a job over once a request is
// whole, so a worker is busy only while the routes, the flow and the plugins run.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace linkgate::server {

class WorkerPool {
 public:
  /// Starts @p threads workers (at least one).
  explicit WorkerPool(std::size_t threads);
  /// Runs the jobs already queued, then joins.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues @p job. Jobs run in the order queued; a job must not throw.
  void submit(std::function<void()> job);
  /// Jobs queued or running.
  [[nodiscard]] std::size_t pending() const;
  [[nodiscard]] std::size_t size() const { return threads_.size(); }
  /// Runs the jobs already queued and joins the threads; later submits are dropped.
  void stop();

 private:
  void work();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace linkgate::server
