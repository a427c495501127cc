#pragma once
// The pieces of a sign-in message, as pure functions: its link, the values its templates see,
// the languages to try, whether a text is too long, the outbox row it becomes, and that row
// rendered when it is delivered.

#include <string>
#include <vector>

#include "config/settings.h"
#include "flow/flow_record.h"
#include "flow/message_templates.h"
#include "outbox/outbox_message.h"

namespace linkgate::flow {

/// The link a message carries: public_base_url + `/v1/magic-links/verify?token=` + @p token.
std::string verify_url(const std::string& public_base_url, const std::string& token);

/// What the templates see, for a link valid @p ttl_seconds.
MessageValues message_values(const config::Settings& settings, std::string link, std::string code,
                             std::int64_t ttl_seconds);

/// The languages to try, best first: the one asked for, the user's, then Accept-Language's.
std::vector<std::string> preferred_locales(const std::string& asked, const std::string& users,
                                           const std::vector<std::string>& accepted);

/// More SMS segments than a sign-in text may take (2): the token is then too long for a text.
bool too_long_for_sms(sdk::AddressKind kind, const RenderedMessage& message);

/// The outbox row for a message to @p address over route @p channel_index, in @p locale. Its
/// subject, text and HTML are left empty for the outbox worker to render when it delivers
/// (render_stored_message): the row holds the link and the code once instead of in every part,
/// and a start writes a few hundred bytes instead of a rendered e-mail. @p link and @p code are
/// kept only until the message is delivered; a notice carries neither.
outbox::OutboxMessage outbox_message(std::string id, const Flow& flow,
                                     const sdk::Identifier& address, std::string locale,
                                     int channel_index, std::string link, std::string code);

/// Renders a message outbox_message() stored (its text empty) from its own link, code and
/// locale, with the whole minutes its link has left at @p now_seconds: the sign-in message, or,
/// when it carries no link, the notice to an address with no account. A message stored with its
/// text (rendered before it was queued) is left as it is. Thread-safe for distinct messages;
/// throws what the templates throw.
void render_stored_message(const MessageTemplates& templates, const config::Settings& settings,
                           std::int64_t now_seconds, outbox::OutboxMessage& message);

}  // namespace linkgate::flow
