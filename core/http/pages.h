#pragma once
// The built-in pages: sign-in, check-your-inbox, confirm, success and error. Compiled in, so
// the server needs no asset files; mustache escapes every value.

#include <string>

#include "config/settings.h"

namespace linkgate::http {

struct PageContext {
  const config::Settings::Branding& branding;
  std::string nonce;  // CSP nonce for the page's one inline style and script
  std::string csrf;   // the CSRF token every form carries
};

std::string sign_in_page(const PageContext& page, const std::string& redirect_uri,
                         const std::string& error);
std::string check_inbox_page(const PageContext& page, const std::string& masked_identifier,
                             const std::string& flow_id, const std::string& redirect_uri,
                             int minutes, const std::string& error);
std::string confirm_page(const PageContext& page, const std::string& token,
                         const std::string& device, const std::string& requested_at,
                         bool auto_continue);
std::string success_page(const PageContext& page, const std::string& who);
/// An error page. With @p offer_new_link, a form to ask for a new link (and a link to `/`).
std::string error_page(const PageContext& page, const std::string& heading,
                       const std::string& detail, bool offer_new_link);

/// The Content-Security-Policy header value for a page rendered with @p nonce.
std::string content_security_policy(const std::string& nonce);

}  // namespace linkgate::http
