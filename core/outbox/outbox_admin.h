#pragma once
// What an operator may do to the outbox while the server runs (`linkgate outbox …`): look at
// it, send waiting messages now, delete messages. Nothing here reads a message's body: a link
// or a code never leaves the database through these.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"
#include "sql/database.h"

namespace linkgate::outbox {

/// One stored message as an operator sees it: where it goes and how it fares, without its body.
struct QueuedMessage {
  std::string id;
  std::string flow_id;
  std::string state;  // pending | sending | sent | dead | suppressed
  sdk::AddressKind kind = sdk::AddressKind::email;
  std::string recipient;
  int channel_index = 0;  // into the delivery list; -1: a stranger's, discarded unsent
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::int64_t expires_at = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::string last_error;
};

/// The states a message can be in, in the order a message passes them.
const std::vector<std::string>& message_states();

class OutboxAdmin {
 public:
  /// On the outbox's database (OutboxStore made the table). Thread-safe.
  explicit OutboxAdmin(std::shared_ptr<sql::Database> db) : db_(std::move(db)) {}

  /// Up to @p limit messages in any of @p states (each one of message_states()), oldest first.
  sdk::Result<std::vector<QueuedMessage>> list(const std::vector<std::string>& states,
                                               std::size_t limit);
  /// One message; ErrorCode::not_found.
  sdk::Result<QueuedMessage> get(const std::string& id);
  /// Makes the pending message @p id due at @p now (its back-off wait cut short); false when it
  /// is not waiting (already due, or not pending). ErrorCode::not_found.
  sdk::Result<bool> retry_now(const std::string& id, std::int64_t now);
  /// Makes every pending message due at @p now; how many were waiting.
  sdk::Result<std::int64_t> retry_all(std::int64_t now);
  /// Deletes message @p id unless a worker is sending it (ErrorCode::retryable), and takes its body
  /// off the disk's files: false when a reader kept SQLite's log busy for a second, so the old
  /// page stays there until the server's next checkpoint. ErrorCode::not_found.
  sdk::Result<bool> remove(const std::string& id);

 private:
  /// Pending messages waiting past @p at (only @p id, when given) made due at @p at; how many.
  sdk::Result<std::int64_t> make_due(const std::optional<std::string>& id, std::int64_t at);

  std::shared_ptr<sql::Database> db_;
};

}  // namespace linkgate::outbox
