#pragma once
// The durable queue sign-in messages wait in until a channel takes them, as the flow sees it.

#include <cstdint>
#include <memory>
#include <string>

#include "linkgate/sdk/result.h"
#include "outbox/outbox_message.h"

namespace linkgate::outbox {

/// The durable queue sign-in messages wait in until a channel takes them. Thread-safe.
class MessageQueue {
 public:
  virtual ~MessageQueue() = default;
  /// Stores @p message, due now; it is sent after the call returns. unavailable when the store
  /// is down (then nothing was stored).
  virtual sdk::Result<void> enqueue(const outbox::OutboxMessage& message, std::int64_t now) = 0;
  /// Records that a flow's message was deliberately not sent: the same write as enqueue(), so
  /// both paths cost the same.
  virtual sdk::Result<void> record_suppressed(const std::string& id, const std::string& flow_id,
                                              std::int64_t now) = 0;
};

class OutboxStore;
class OutboxWorker;

/// The outbox table, and a nudge to its worker so a new message goes out at once.
class OutboxQueue final : public MessageQueue {
 public:
  /// @p worker may be null (nothing to wake: tests, `check-config`). Both must outlive this.
  OutboxQueue(OutboxStore& store, OutboxWorker* worker) : store_(store), worker_(worker) {}
  sdk::Result<void> enqueue(const OutboxMessage& message, std::int64_t now) override;
  sdk::Result<void> record_suppressed(const std::string& id, const std::string& flow_id,
                                      std::int64_t now) override;

 private:
  OutboxStore& store_;
  OutboxWorker* worker_;
};

}  // namespace linkgate::outbox
