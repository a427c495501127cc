#include "outbox/message_queue.h"

#include "outbox/outbox_worker.h"
#include "util/after_answer.h"

namespace linkgate::outbox {
namespace {
void notify(void* worker) noexcept {
  static_cast<OutboxWorker*>(worker)->notify();
}
void notify_held(void* worker) noexcept {
  static_cast<OutboxWorker*>(worker)->notify_held();
}
}  // namespace

// After the answer: a user's delivery would otherwise overlap the end of the request that
// stored it, where a stranger's discarded message costs less (util/after_answer.h).
void OutboxQueue::wake() noexcept {
  if (worker_ != nullptr) util::AfterAnswer::defer(&notify, worker_);
}

std::int64_t OutboxQueue::reserve(std::int64_t now_seconds) noexcept {
  return worker_ != nullptr ? worker_->hold(now_seconds) : 0;
}

void OutboxQueue::hand(OutboxMessage message) noexcept {
  if (worker_ == nullptr) return;
  worker_->take_held(std::move(message));
  util::AfterAnswer::defer(&notify_held, worker_);
}

void OutboxQueue::give_back() noexcept {
  if (worker_ != nullptr) worker_->release_hold();
}

}  // namespace linkgate::outbox
