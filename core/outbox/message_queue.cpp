#include "outbox/message_queue.h"

#include "outbox/outbox_store.h"
#include "outbox/outbox_worker.h"

namespace linkgate::outbox {

sdk::Result<void> OutboxQueue::enqueue(const OutboxMessage& message, std::int64_t now) {
  auto stored = store_.enqueue(message, now);
  if (stored.ok() && worker_ != nullptr) worker_->notify();
  return stored;
}

sdk::Result<void> OutboxQueue::record_suppressed(const std::string& id, const std::string& flow_id,
                                                 std::int64_t now) {
  return store_.record_suppressed(id, flow_id, now);
}

}  // namespace linkgate::outbox
