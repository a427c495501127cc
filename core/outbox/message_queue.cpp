#include "outbox/message_queue.h"

#include "outbox/outbox_worker.h"

namespace linkgate::outbox {

void OutboxQueue::wake() noexcept {
  if (worker_ != nullptr) worker_->notify();
}

}  // namespace linkgate::outbox
