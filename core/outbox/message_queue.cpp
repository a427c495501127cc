#include "outbox/message_queue.h"

#include "outbox/outbox_worker.h"
#include "util/after_answer.h"

namespace linkgate::outbox {
namespace {
void notify(void* worker) noexcept {
  static_cast<OutboxWorker*>(worker)->notify();
}
}  // namespace

// After the answer: a user's delivery would otherwise overlap the end of the request that
// stored it, where a stranger's discarded message costs less (util/after_answer.h).
void OutboxQueue::wake() noexcept {
  if (worker_ != nullptr) util::AfterAnswer::defer(&notify, worker_);
}

}  // namespace linkgate::outbox
