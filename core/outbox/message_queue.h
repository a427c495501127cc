#pragma once
// The outbox as the flow sees it once a start is stored: something to wake.

namespace linkgate::outbox {

/// The queue's side of a start: the message is stored with its flow (FlowRepository::create),
/// then the queue is told so it goes out at once. Thread-safe.
class MessageQueue {
 public:
  virtual ~MessageQueue() = default;
  /// A message was just stored: deliver it soon.
  virtual void wake() noexcept = 0;
};

class OutboxWorker;

/// Wakes the outbox worker.
class OutboxQueue final : public MessageQueue {
 public:
  /// @p worker may be null (nothing to wake: tests, `check-config`). It must outlive this.
  explicit OutboxQueue(OutboxWorker* worker) : worker_(worker) {}
  void wake() noexcept override;

 private:
  OutboxWorker* worker_;
};

}  // namespace linkgate::outbox
