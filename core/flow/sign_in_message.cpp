#include "flow/sign_in_message.h"

#include <algorithm>

#include "flow/sms_length.h"

namespace linkgate::flow {
namespace {

constexpr std::size_t kMaxSmsSegments = 2;

std::string host_of(const std::string& base_url) {
  auto start = base_url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  auto end = base_url.find_first_of(":/", start);
  return base_url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

std::string verify_url(const std::string& public_base_url, const std::string& token) {
  return public_base_url + "/v1/magic-links/verify?token=" + token;
}

MessageValues message_values(const config::Settings& settings, std::string link, std::string code,
                             std::int64_t ttl_seconds) {
  return MessageValues{std::move(link),
                       std::move(code),
                       static_cast<int>((ttl_seconds + 59) / 60),
                       settings.branding.app_name,
                       settings.branding.title,
                       host_of(settings.server.public_base_url)};
}

std::vector<std::string> preferred_locales(const std::string& asked, const std::string& users,
                                           const std::vector<std::string>& accepted) {
  std::vector<std::string> locales;
  if (!asked.empty()) locales.push_back(asked);
  if (!users.empty()) locales.push_back(users);
  locales.insert(locales.end(), accepted.begin(), accepted.end());
  return locales;
}

bool too_long_for_sms(sdk::AddressKind kind, const RenderedMessage& message) {
  return kind == sdk::AddressKind::phone && sms_segments(message.text) > kMaxSmsSegments;
}

outbox::OutboxMessage outbox_message(std::string id, const Flow& flow,
                                     const sdk::Identifier& address, std::string locale,
                                     int channel_index, std::string link, std::string code) {
  outbox::OutboxMessage m;
  m.id = std::move(id);
  m.flow_id = flow.id;
  m.kind = address.kind;
  m.recipient = address.value;
  m.locale = std::move(locale);
  m.link = std::move(link);
  m.code = std::move(code);
  m.channel_index = channel_index;
  m.expires_at = flow.expires_at;
  return m;
}

void render_stored_message(const MessageTemplates& templates, const config::Settings& settings,
                           std::int64_t now_seconds, outbox::OutboxMessage& message) {
  if (!message.text.empty()) return;
  const MessageValues values =
      message_values(settings, message.link, message.code,
                     std::max<std::int64_t>(0, message.expires_at - now_seconds));
  const std::vector<std::string> locale{message.locale};
  RenderedMessage content = message.link.empty() ? templates.render_unknown(values, locale)
                                                 : templates.render(message.kind, values, locale);
  message.subject = std::move(content.subject);
  message.text = std::move(content.text);
  message.html = std::move(content.html);
}

}  // namespace linkgate::flow
