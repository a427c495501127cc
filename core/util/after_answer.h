#pragma once
// Work a request leaves for after its answer is written. The thread that answers requests opens
// a scope; what a handler defers while it is open runs when the front end says the answer is on
// the socket. With no scope open (a test calling a service, the command line) it runs at once.
//
// Why: waking the outbox worker before the answer is written lets a user's delivery (a file
// created and synced, a mail sent) overlap the end of that same request, where a stranger's
// message is only discarded — a difference in answer time that tells users from strangers.

#include <cstddef>

namespace linkgate::util {

class AfterAnswer {
 public:
  using Work = void (*)(void* target) noexcept;

  /// Opens a scope on the calling thread (scopes nest; the innermost collects). Never throws.
  AfterAnswer() noexcept;
  /// Runs what is still deferred, and closes the scope.
  ~AfterAnswer();
  AfterAnswer(const AfterAnswer&) = delete;
  AfterAnswer& operator=(const AfterAnswer&) = delete;

  /// Runs, in the order deferred, what was deferred into this scope so far. Call it on the
  /// thread that opened the scope, once the answers of the requests handled are written.
  void run() noexcept;

  /// Has @p work(@p target) run once the current answer is written: at the next run() of the
  /// innermost scope open on this thread, or at once when none is. The same work for the same
  /// target deferred twice runs once. @p target must live until then. Never throws; when the
  /// scope holds as much as it can, the work runs at once.
  static void defer(Work work, void* target) noexcept;

 private:
  static constexpr std::size_t kCapacity = 8;
  struct Deferred {
    Work work;
    void* target;
  };
  AfterAnswer* outer_;
  Deferred deferred_[kCapacity];
  std::size_t count_ = 0;
};

}  // namespace linkgate::util
