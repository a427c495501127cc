#pragma once
// Sign-in flows: the server-side record of each request for a link, shared by every instance
// that shares the database. It holds what the link token does not: the code's keyed hash, its
// attempt count, and whether the flow is still pending.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "linkgate/sdk/types.h"
#include "store/database.h"

namespace linkgate::flow {

enum class FlowState { pending, completed, superseded, dead };
const char* to_string(FlowState state);

struct Flow {
  std::string id;
  std::string identifier_key;  // keyed hash of the identifier, for supersede look-ups
  sdk::Identifier identifier;
  std::string subject;  // user id; empty when the user is created on completion
  std::string redirect_uri;
  std::string code_mac;  // HMAC of the code under the server secret (hex)
  int attempts = 0;
  FlowState state = FlowState::pending;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::string device;         // "Firefox on Linux": shown on the confirm page
  bool deliverable = true;    // false for identifiers that are not users (nothing is sent)
  std::string short_key_mac;  // keyed hash of the core's short SMS link key, or empty
};

class FlowStore {
 public:
  /// Creates the table if missing. Throws std::runtime_error when the database is unusable.
  explicit FlowStore(std::shared_ptr<store::Database> db);

  /// Stores @p flow; with @p supersede, first kills the identifier's other pending flows.
  void create(const Flow& flow, bool supersede);
  std::optional<Flow> get(const std::string& id);
  /// The flow whose short SMS link key hashes to @p mac.
  std::optional<Flow> find_by_short_key(const std::string& mac);
  /// pending -> completed, only if still pending and unexpired. True for exactly one caller.
  bool complete(const std::string& id, std::int64_t now);
  /// Takes one code attempt: true if the flow is pending, unexpired and under @p max_attempts.
  /// The attempt is counted before the code is compared, so parallel guesses cannot exceed it.
  bool take_attempt(const std::string& id, int max_attempts, std::int64_t now);
  /// Marks a flow dead (its attempts are used up).
  void kill(const std::string& id);
  /// Deletes flows that expired more than @p grace_seconds ago. Returns how many.
  std::size_t sweep(std::int64_t now, std::int64_t grace_seconds);

 private:
  std::optional<Flow> select_one(const std::string& column, const std::string& value);
  std::shared_ptr<store::Database> db_;
};

}  // namespace linkgate::flow
