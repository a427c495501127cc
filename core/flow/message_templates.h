#pragma once
// The sign-in message, rendered from mustache templates per language:
// <dir>/<locale>/{email.subject, email.txt, email.html, sms.txt}; and the optional notice to an
// address with no account (`security.notify_unknown`): unknown.subject and unknown.txt, with
// built-in English text where a locale has none.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flow/plain_template.h"
#include "linkgate/sdk/types.h"

namespace linkgate::flow {

/// What a message template can use.
struct MessageValues {
  std::string link;
  std::string code;
  int minutes = 15;      // until the link expires
  std::string app_name;  // branding.app_name
  std::string title;     // branding.title
  std::string domain;    // host of public_base_url (the WebOTP `@domain #code` line)
};

struct RenderedMessage {
  std::string locale;
  std::string subject;  // e-mail only; never contains CR or LF
  std::string text;
  std::string html;  // e-mail only
};

/// Thread-safe. A template of only text and variables (flow/plain_template.h) is rendered by
/// joining its pieces; any other is rendered by kainjow from each thread's own parsed copy
/// (parsed on its first use; a template parsed anew per message cost more than the rest).
class MessageTemplates {
 public:
  /// Loads every locale folder under @p dir. Throws std::runtime_error listing each problem
  /// (missing folder for @p default_locale, a missing file, a template that does not parse).
  MessageTemplates(const std::string& dir, std::string default_locale);

  /// Renders the message for @p kind in the first of @p preferred_locales that exists (a
  /// region tag like `de-CH` also matches `de`), else in the default locale.
  [[nodiscard]] RenderedMessage render(sdk::AddressKind kind, const MessageValues& values,
                                       const std::vector<std::string>& preferred_locales) const;

  /// The notice for an e-mail address that has no account (no link, no code).
  [[nodiscard]] RenderedMessage render_unknown(
      const MessageValues& values, const std::vector<std::string>& preferred_locales) const;

  /// The locale render() would choose.
  [[nodiscard]] std::string choose_locale(const std::vector<std::string>& preferred) const;
  [[nodiscard]] std::vector<std::string> locales() const;

 private:
  struct Template {
    std::string source;
    std::optional<PlainTemplate> plain;  // when it is only text and variables
  };
  struct Set {
    Template subject, text, html, sms;
    Template unknown_subject, unknown_text;
  };
  std::string render_one(const Template& source, PlainTemplate::Escape escape,
                         const MessageValues& values) const;
  std::map<std::string, Set> sets_;
  std::string default_locale_;
  std::uint64_t serial_;  // which instance a thread's parsed templates came from
};

/// Locale tags from an Accept-Language header, best first (`de-CH,de;q=0.9,en;q=0.5`).
std::vector<std::string> parse_accept_language(const std::string& header);

}  // namespace linkgate::flow
