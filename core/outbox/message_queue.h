#pragma once
// The outbox as the flow sees it once a start is stored: something to wake, or to hand the
// message to.

#include <cstdint>

#include "outbox/outbox_message.h"

namespace linkgate::outbox {

/// The queue's side of a start: the message is stored with its flow (FlowRepository::create),
/// then the queue is told so it goes out at once. Thread-safe.
///
/// A queue may also deliver the message from memory, sparing the worker the claim that would
/// read it back: reserve() before the message is stored; when it answers a time, the message
/// is stored held until then (OutboxMessage::held_until) and, once its commit is done, given to
/// hand() — or, if storing it failed, the reservation is returned with give_back(). Every
/// reservation ends in exactly one of the two.
class MessageQueue {
 public:
  virtual ~MessageQueue() = default;
  /// A message was just stored: deliver it soon.
  virtual void wake() noexcept = 0;
  /// The time (seconds) until which the next message, once stored, is this queue's alone to
  /// send, or 0 when it is to be stored due at once (no room, not running, or not offered).
  virtual std::int64_t reserve(std::int64_t /*now_seconds*/) noexcept { return 0; }
  /// The reserved message, now stored: sent from memory soon (this wakes as well).
  virtual void hand(OutboxMessage /*message*/) noexcept { wake(); }
  /// A reservation whose message was not stored.
  virtual void give_back() noexcept {}
};

class OutboxWorker;

/// Wakes the outbox worker, and hands it the messages it reserved room for.
class OutboxQueue final : public MessageQueue {
 public:
  /// @p worker may be null (nothing to wake: tests, `check-config`). It must outlive this.
  explicit OutboxQueue(OutboxWorker* worker) : worker_(worker) {}
  void wake() noexcept override;
  std::int64_t reserve(std::int64_t now_seconds) noexcept override;
  void hand(OutboxMessage message) noexcept override;
  void give_back() noexcept override;

 private:
  OutboxWorker* worker_;
};

}  // namespace linkgate::outbox
