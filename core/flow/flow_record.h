#pragma once
// A sign-in flow: the server-side record of one request for a link. It holds what the link token
// does not: the code's keyed hash, its attempt count, and whether the flow is still pending.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "linkgate/sdk/types.h"
#include "outbox/outbox_message.h"

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
  std::string viewed_by;      // user-agent families that opened its confirm page: "a,b"
  // SQLite's row id as read, so that a write finds the row without the id's index; 0 if unknown.
  std::int64_t row = 0;
};

/// What a sweep took away: flows long expired, and — among those never redeemed — the user-agent
/// families that had opened their confirm page (pre-fetching scanners, mostly), one count each.
struct SweptFlows {
  std::size_t flows = 0;
  std::map<std::string, std::int64_t> unredeemed_views;
};

/// A start's message, stored in the flow's transaction: the sign-in message, a stranger's
/// notice, or (channel_index outbox::kDiscard) a stranger's message stored only to be discarded
/// unsent. Every start has one; none is for repository tests about flows alone.
struct FlowMessage {
  std::optional<outbox::OutboxMessage> message;
  std::int64_t now = 0;
};

}  // namespace linkgate::flow
