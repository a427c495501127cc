#include "mail_composer.h"

#include <Poco/Net/PartSource.h>
#include <Poco/Net/StringPartSource.h>
#include <Poco/Timestamp.h>

#include <algorithm>

namespace linkgate::plugins::smtp {
namespace {

bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x80; });
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

bool plausible_address(const std::string& a) {
  auto at = a.find('@');
  return at != std::string::npos && at > 0 && at + 1 < a.size() &&
         a.find('@', at + 1) == std::string::npos &&
         a.find_first_of(" <>\",;\\") == std::string::npos && !has_control(a);
}

std::string encode_header_text(const std::string& text) {
  return is_ascii(text) ? text : Poco::Net::MailMessage::encodeWord(text, "UTF-8");
}

}  // namespace

std::optional<Mailbox> parse_mailbox(const std::string& text) {
  if (has_control(text)) return std::nullopt;
  Mailbox m;
  auto open = text.rfind('<');
  if (open == std::string::npos) {
    m.address = trim(text);
  } else {
    auto close = text.find('>', open);
    if (close == std::string::npos || trim(text.substr(close + 1)) != "") return std::nullopt;
    m.address = trim(text.substr(open + 1, close - open - 1));
    m.display_name = trim(text.substr(0, open));
    if (m.display_name.size() >= 2 && m.display_name.front() == '"' &&
        m.display_name.back() == '"') {
      m.display_name = m.display_name.substr(1, m.display_name.size() - 2);
    }
  }
  if (!plausible_address(m.address)) return std::nullopt;
  return m;
}

std::string format_mailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address;
  std::string name;
  if (!is_ascii(mailbox.display_name)) {
    name = Poco::Net::MailMessage::encodeWord(mailbox.display_name, "UTF-8");
  } else {
    name = "\"";
    for (char c : mailbox.display_name) {
      if (c == '"' || c == '\\') name += '\\';
      name += c;
    }
    name += "\"";
  }
  return name + " <" + mailbox.address + ">";
}

std::string header_problem(const sdk::Message& message) {
  if (!plausible_address(message.to))
    return "the recipient is not a plain address (CR, LF or specials)";
  if (has_control(message.subject))
    return "the subject contains CR, LF or another control character";
  return "";
}

void compose(const sdk::Message& message, const Mailbox& from, const std::string& message_id_random,
             Poco::Net::MailMessage& mail) {
  mail.setSender(format_mailbox(from));
  mail.addRecipient(
      Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, message.to));
  mail.setSubject(encode_header_text(message.subject));
  mail.setDate(Poco::Timestamp());
  const std::string domain = from.address.substr(from.address.find('@') + 1);
  mail.set("Message-ID", "<" + message_id_random + "@" + domain + ">");
  // Out-of-office replies and auto-forwards should not answer a sign-in link.
  mail.set("Auto-Submitted", "auto-generated");
  mail.set("X-Auto-Response-Suppress", "All");
  if (!message.locale.empty() && message.locale.find_first_of("\r\n") == std::string::npos) {
    mail.set("Content-Language", message.locale);
  }
  if (message.html.empty()) {
    mail.setContentType("text/plain; charset=utf-8");
    mail.setContent(message.text, Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
    return;
  }
  mail.setContentType("multipart/alternative");
  mail.addContent(new Poco::Net::StringPartSource(message.text, "text/plain; charset=utf-8"),
                  Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
  mail.addContent(new Poco::Net::StringPartSource(message.html, "text/html; charset=utf-8"),
                  Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
}

}  // namespace linkgate::plugins::smtp
