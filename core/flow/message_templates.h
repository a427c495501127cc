#pragma once
// The sign-in message, rendered from mustache templates per language:
// <dir>/<locale>/{email.subject, email.txt, email.html, sms.txt}; and the optional notice to an
// address with no account (`security.notify_unknown`): unknown.subject and unknown.txt, with
// built-in English text where a locale has none.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

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

/// Thread-safe: each thread renders from its own parsed copy of the templates (parsed on its
/// first use of each; a template parsed anew per message cost more than the rest of the render).
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
  struct Set {
    std::string subject, text, html, sms;
    std::string unknown_subject, unknown_text;
  };
  std::map<std::string, Set> sets_;
  std::string default_locale_;
  std::uint64_t serial_;  // which instance a thread's parsed templates came from
};

/// Locale tags from an Accept-Language header, best first (`de-CH,de;q=0.9,en;q=0.5`).
std::vector<std::string> parse_accept_language(const std::string& header);

}  // namespace linkgate::flow
