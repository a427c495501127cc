#pragma once
// Turns a sign-in message into an RFC 5322 mail: multipart/alternative (text + HTML), UTF-8
// quoted-printable bodies, RFC 2047 encoded display name and subject, Message-ID and Date.

#include <Poco/Net/MailMessage.h>

#include <optional>
#include <string>

#include "linkgate/sdk/types.h"

namespace linkgate::plugins::smtp {

/// `Display Name <local@domain>` or a bare address.
struct Mailbox {
  std::string display_name;
  std::string address;
};

/// Parses a `from:` value. nullopt for anything with CR/LF or without exactly one usable address.
std::optional<Mailbox> parse_mailbox(const std::string& text);

/// The mailbox as a header value: the display name quoted, or RFC 2047-encoded when not ASCII.
std::string format_mailbox(const Mailbox& mailbox);

/// Why @p message cannot be sent safely (CR/LF or control characters in the recipient or
/// subject), or "" when it can. Checked before any byte goes to the server.
std::string header_problem(const sdk::Message& message);

/// Builds the mail. @p message_id_random is the random part of the Message-ID.
void compose(const sdk::Message& message, const Mailbox& from, const std::string& message_id_random,
             Poco::Net::MailMessage& mail);

}  // namespace linkgate::plugins::smtp
