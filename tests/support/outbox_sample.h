#pragma once
// A sign-in message as the flow stores it, with a link and a code to look for.

#include <cstdint>
#include <string>

#include "outbox/outbox_message.h"

namespace linkgate::testing {

inline outbox::OutboxMessage sample_message(const std::string& id,
                                            std::int64_t expires_at = 10'000) {
  outbox::OutboxMessage m;
  m.id = id;
  m.flow_id = "flow-" + id;
  m.recipient = "a@example.com";
  m.subject = "subject";
  m.text = "text with https://x/verify?token=SECRET";
  m.link = "https://x/verify?token=SECRET";
  m.code = "123456";
  m.expires_at = expires_at;
  return m;
}

}  // namespace linkgate::testing
