#include "http/exchange.h"

#include <algorithm>

#include "http/client_address.h"
#include "http/csrf.h"
#include "http/json_text.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::http {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string media_type(const std::string& content_type) {
  std::string type = lower(content_type.substr(0, content_type.find(';')));
  type.erase(type.find_last_not_of(" \t") + 1);
  return type;
}

}  // namespace

std::string error_heading(const std::string& code) {
  if (code == "expired_token") return "This link has expired";
  if (code == "used_token") return "This link was already used";
  if (code == "invalid_token") return "This link is not valid";
  if (code == "rate_limited") return "Too many attempts";
  if (code == "unavailable") return "Sign-in is unavailable";
  if (code == "not_found") return "Page not found";
  if (code == "redirect_not_allowed") return "That destination is not allowed";
  if (code == "invalid_request") return "Something is missing";
  return "Something went wrong";
}

Exchange::Exchange(const Request& request, Response& response, const config::Settings& settings,
                   const std::string& secret)
    : request_(request),
      response_(response),
      settings_(settings),
      secret_(secret),
      path_(request.path()) {}

std::string Exchange::client_address() const {
  return http::client_address(request_, settings_.server.trusted_proxy_ranges,
                              settings_.server.forwarded_header == "forwarded"
                                  ? ForwardedHeader::forwarded
                                  : ForwardedHeader::x_forwarded_for);
}

bool Exchange::is_form() const {
  return media_type(header("Content-Type")) == "application/x-www-form-urlencoded";
}

bool Exchange::wants_html() const {
  if (method() == "POST") return is_form();
  std::string accept = lower(header("Accept"));
  auto html = accept.find("text/html");
  auto json = accept.find("application/json");
  return html != std::string::npos && (json == std::string::npos || html < json);
}

bool Exchange::https() const {
  return settings_.server.https() || settings_.server.public_base_url.rfind("https://", 0) == 0;
}

std::optional<Fields> Exchange::read_fields(bool form_allowed) {
  const std::string type = media_type(header("Content-Type"));
  const bool json = type == "application/json";
  const bool form = type == "application/x-www-form-urlencoded" && form_allowed;
  if (!json && !form) {
    send_error({415, "unsupported_media_type",
                form_allowed ? "Send application/json or application/x-www-form-urlencoded."
                             : "Send application/json."});
    return std::nullopt;
  }
  auto fields = json ? parse_json_fields(request_.body) : parse_form_fields(request_.body);
  if (!fields.ok()) {
    send_error(invalid_request(fields.error().message));
    return std::nullopt;
  }
  if (form && !csrf_token_matches(secret_, cookie(csrf_cookie_name(secure_cookies())),
                                  fields.value()[kCsrfField])) {
    send_error({403, "forbidden",
                "This form is out of date or was not sent by this site. Reload the page and try "
                "again."});
    return std::nullopt;
  }
  return std::move(fields).value();
}

void Exchange::send(int status, const std::string& content_type, std::string body) {
  if (sent_) return;
  sent_ = true;
  response_.status = status;
  response_.set("X-Content-Type-Options", "nosniff");
  response_.set("X-Frame-Options", "DENY");
  if (settings_.server.https()) response_.set("Strict-Transport-Security", "max-age=31536000");
  if (!response_.has("Cache-Control")) response_.set("Cache-Control", "no-store");
  if (!content_type.empty()) response_.set("Content-Type", content_type);
  response_.body = std::move(body);
}

void Exchange::send_json(int status, const std::string& json) {
  send(status, "application/json; charset=utf-8", json);
}

void Exchange::send_html(int status, const std::string& html) {
  send(status, "text/html; charset=utf-8", html);
}

void Exchange::send_text(int status, const std::string& content_type, const std::string& body) {
  send(status, content_type, body);
}

void Exchange::send_redirect(const std::string& location) {
  response_.set("Location", location);
  send(303, "", "");
}

void Exchange::send_no_content() {
  send(204, "", "");
}

void Exchange::send_error(const ApiError& error) {
  if (error.retry_after > 0) response_.set("Retry-After", std::to_string(error.retry_after));
  if (wants_html()) {
    bool offer = error.code == "expired_token" || error.code == "used_token" ||
                 error.code == "invalid_token";
    send_html(error.status,
              error_page(page(), error_heading(error.code), error.description, offer));
    return;
  }
  auto body = json_object();
  body.set("error", error.code);
  body.set("error_description", error.description);
  send_json(error.status, json_text(body));
}

void Exchange::set_cookie(const std::string& name, const std::string& value,
                          std::int64_t max_age_seconds) {
  std::string cookie = name + "=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                       std::to_string(max_age_seconds);
  // A __Host- cookie must be Secure, for Path=/ and without Domain: that is what keeps other
  // hosts of the domain from setting it.
  const bool host_only = name.rfind("__Host-", 0) == 0;
  if (!settings_.session.cookie_domain.empty() && !host_only) {
    cookie += "; Domain=" + settings_.session.cookie_domain;
  }
  if (secure_cookies()) cookie += "; Secure";
  response_.add("Set-Cookie", cookie);
}

bool Exchange::secure_cookies() const {
  const auto& s = settings_.session;
  return s.cookie_secure == "always" || (s.cookie_secure == "auto" && https());
}

void Exchange::clear_cookie(const std::string& name) {
  set_cookie(name, "", 0);
}

void Exchange::sensitive() {
  response_.set("Cache-Control", "no-store");
  response_.set("Referrer-Policy", "no-referrer");
}

std::string Exchange::csrf() {
  if (!csrf_.empty()) return csrf_;
  const std::string name = csrf_cookie_name(secure_cookies());
  std::string browser = cookie(name);
  if (!csrf_cookie_valid(secret_, browser)) {
    browser = new_csrf_cookie(secret_);
    set_cookie(name, browser, 86'400);
  }
  csrf_ = csrf_token(secret_, browser);
  return csrf_;
}

PageContext Exchange::page() {
  return PageContext{settings_.branding, nonce(), csrf()};
}

bool Exchange::check_origin() {
  if (origin_allowed(header("Origin"), settings_.server.public_base_url, https() ? "https" : "http",
                     header("Host"))) {
    return true;
  }
  send_error({403, "forbidden", "Requests from other sites are not accepted."});
  return false;
}

std::string Exchange::nonce() {
  std::string n = util::base64url_encode(util::random_bytes(16));
  response_.set("Content-Security-Policy", content_security_policy(n));
  return n;
}

}  // namespace linkgate::http
