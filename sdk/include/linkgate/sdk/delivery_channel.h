#pragma once
/// @file
/// The delivery channel interface: how the link and code reach the user.

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"

namespace linkgate::sdk {

/// Sends messages. The host's durable outbox calls send() from its worker threads and retries
/// according to the outcome; a channel never retries or queues by itself.
///
/// Thread safety: send() may be called concurrently from several worker threads.
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
};

}  // namespace linkgate::sdk
