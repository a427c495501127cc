#pragma once
// One request and the response being built for it: strict JSON and form bodies, content
// negotiation (JSON or an HTML page for the same outcome), cookies and security headers. Plain
// values in, plain values out: nothing here touches a socket.

#include <optional>
#include <string>

#include "config/settings.h"
#include "http/api_error.h"
#include "http/body_fields.h"
#include "http/message.h"
#include "http/pages.h"

namespace linkgate::http {

class Exchange {
 public:
  /// @p secret keys the CSRF tokens of the built-in forms. All must outlive the Exchange.
  Exchange(const Request& request, Response& response, const config::Settings& settings,
           const std::string& secret);

  [[nodiscard]] const std::string& method() const { return request_.method; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string query(const std::string& name) const { return request_.query(name); }
  [[nodiscard]] std::string header(const std::string& name) const { return request_.header(name); }
  [[nodiscard]] std::string cookie(const std::string& name) const { return request_.cookie(name); }
  /// The client address: the peer, or the first untrusted hop of the forwarding header when the
  /// peer is a trusted proxy (http/client_address.h).
  [[nodiscard]] std::string client_address() const;
  [[nodiscard]] bool is_form() const;
  /// A browser: a form post, or an Accept header that prefers text/html.
  [[nodiscard]] bool wants_html() const;
  [[nodiscard]] bool https() const;

  /// Parses the body (JSON, or a form where @p form_allowed). A form must carry the CSRF token
  /// of its page. On a problem, answers 415 / 400 / 403 itself and returns nullopt.
  std::optional<Fields> read_fields(bool form_allowed = true);

  void send_json(int status, const std::string& json);
  void send_html(int status, const std::string& html);
  void send_text(int status, const std::string& content_type, const std::string& body);
  void send_redirect(const std::string& location);
  void send_no_content();
  /// The error as JSON, or as an HTML page for browsers; same status either way.
  void send_error(const ApiError& error);

  void set_cookie(const std::string& name, const std::string& value, std::int64_t max_age_seconds);
  /// Whether cookies are sent with `Secure` (session.cookie_secure, or auto under https).
  [[nodiscard]] bool secure_cookies() const;
  void clear_cookie(const std::string& name);
  /// Marks the response as carrying a token in the URL / auth state: no-store, no-referrer.
  void sensitive();
  /// A fresh CSP nonce for an HTML response (sets the header).
  std::string nonce();
  /// The CSRF token for this browser's forms; sets a new signed CSRF cookie when the browser has
  /// none this server issued.
  std::string csrf();
  /// What a built-in page needs: branding, a nonce, the CSRF token.
  PageContext page();
  /// False when a browser posts from another origin (answers 403 itself).
  bool check_origin();

  [[nodiscard]] bool sent() const { return sent_; }
  Response& response() { return response_; }
  [[nodiscard]] const Request& request() const { return request_; }

 private:
  void send(int status, const std::string& content_type, std::string body);

  const Request& request_;
  Response& response_;
  const config::Settings& settings_;
  const std::string& secret_;
  std::string csrf_;
  std::string path_;
  bool sent_ = false;
};

/// The HTML heading for an error code ("This link has expired").
std::string error_heading(const std::string& code);

}  // namespace linkgate::http
