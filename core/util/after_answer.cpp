#include "util/after_answer.h"

namespace linkgate::util {
namespace {
thread_local AfterAnswer* innermost = nullptr;
}

AfterAnswer::AfterAnswer() noexcept : outer_(innermost) {
  innermost = this;
}

AfterAnswer::~AfterAnswer() {
  run();
  innermost = outer_;
}

void AfterAnswer::run() noexcept {
  // Taken out first: a work may defer more into this scope, which then waits for the next run.
  Deferred taken[kCapacity];
  const std::size_t n = count_;
  for (std::size_t i = 0; i < n; ++i) taken[i] = deferred_[i];
  count_ = 0;
  for (std::size_t i = 0; i < n; ++i) taken[i].work(taken[i].target);
}

void AfterAnswer::defer(Work work, void* target) noexcept {
  AfterAnswer* scope = innermost;
  if (scope == nullptr) return work(target);
  for (std::size_t i = 0; i < scope->count_; ++i) {
    if (scope->deferred_[i].work == work && scope->deferred_[i].target == target) return;
  }
  if (scope->count_ == kCapacity) return work(target);
  scope->deferred_[scope->count_++] = {work, target};
}

}  // namespace linkgate::util
