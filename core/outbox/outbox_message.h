#pragma once
// One message in the durable outbox, as the flow writes it and the worker reads it.

#include <cstdint>
#include <string>

#include "linkgate/sdk/types.h"

namespace linkgate::outbox {

/// The channel_index of a message stored only to be discarded: a stranger's sign-in message is
/// rendered, stored, claimed and erased like a user's — so the two cost the same, in the request
/// and after it — but never handed to a channel; it ends as "suppressed".
inline constexpr int kDiscard = -1;

struct OutboxMessage {
  std::string id;
  std::string flow_id;
  sdk::AddressKind kind = sdk::AddressKind::email;
  std::string recipient;
  std::string locale;
  std::string subject, text, html, link, code;
  int attempts = 0;             // tries so far, including the one being made after claim()
  int channel_index = 0;        // index into the delivery list; moves on after a permanent failure
  std::int64_t expires_at = 0;  // the link's expiry: sending after it is pointless
  // 0: stored due at once, for any worker to claim. Otherwise this process's outbox worker was
  // handed it in memory (MessageQueue::reserve): stored with one attempt counted and due only at
  // this time — the lease its holder has, as a claim would have given it — so that no other
  // sender takes it before then, and a crash's leftovers go out once it has passed.
  std::int64_t held_until = 0;
};

}  // namespace linkgate::outbox
