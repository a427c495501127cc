#pragma once
/// @file
/// The delivery channel interface: how the link and code reach the user.

#include <cstddef>
#include <vector>

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"

namespace linkgate::sdk {

/// Sends messages. The host's durable outbox calls send() (or send_batch(), for a channel whose
/// batch_limit() is above 1) from its worker threads and retries according to the outcome; a
/// channel never retries or queues by itself.
///
/// Thread safety: send() and send_batch() may be called concurrently from several worker
/// threads.
/// Errors: ErrorCode::retryable for a transient failure (timeout, connection refused, 5xx),
/// ErrorCode::permanent for one that will not heal (bad address, 4xx), ErrorCode::invalid for
/// a message the channel refuses to send (e.g. CR/LF in a header). An exception that escapes
/// is caught by the host and retried as ErrorCode::retryable.
class DeliveryChannel {
 public:
  virtual ~DeliveryChannel() = default;

  /// Delivers @p message to `message.to`. Must not block longer than its configured timeout.
  [[nodiscard]] virtual Result<void> send(const Message& message) = 0;

  /// Ready to send (e.g. credentials present)? Must not send anything.
  [[nodiscard]] virtual Result<void> ready() = 0;

  /// The most messages one send_batch() call may carry. The host asks once, when it sets the
  /// channel up (values above 1024 count as 1024). 1, the default, means the host calls send()
  /// only and runs up to the entry's `concurrency` of them at once — right for a channel whose
  /// send waits on the network. A channel that makes each message durable in a local store
  /// (files, a local queue) returns more and makes a whole batch durable together: one wait for
  /// the disk instead of one per message.
  /// Thread safety: called once, before any send. Errors: none; an exception that escapes
  /// counts as 1.
  [[nodiscard]] virtual std::size_t batch_limit() { return 1; }

  /// Delivers each of @p messages (at least one, at most batch_limit()); the result at index i
  /// is message i's outcome, with send()'s meanings, and there is one result per message. The
  /// batch as a whole must not block longer than the configured timeout: past it, or when the
  /// call throws or answers with another number of results, the host retries every message of
  /// the batch (at least once, as for send()). The default sends each message in turn.
  /// Ownership: @p messages is the host's and valid only during the call; copy what you keep.
  /// Thread safety: as send(), several batches may be under way at once.
  [[nodiscard]] virtual std::vector<Result<void>> send_batch(const std::vector<Message>& messages) {
    std::vector<Result<void>> results;
    results.reserve(messages.size());
    for (const auto& message : messages) results.push_back(send(message));
    return results;
  }
};

}  // namespace linkgate::sdk
