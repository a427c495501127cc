#include "http/exchange.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>

#include "host/log.h"
#include "http/csrf.h"
#include "http/pages.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::http {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string media_type(const std::string& content_type) {
  return lower(content_type.substr(0, content_type.find(';')));
}

// Only flat objects are accepted; checking depth first keeps any parser recursion shallow.
bool is_flat(const std::string& body) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > 1) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Form encoding: '+' is a space (a literal plus arrives as %2B). Poco's plusAsSpace only applies
// after a '?', so it is translated here.
std::string url_decode(std::string s) {
  std::replace(s.begin(), s.end(), '+', ' ');
  std::string out;
  Poco::URI::decode(s, out);
  return out;
}

}  // namespace

std::optional<Fields> parse_json_fields(const std::string& body, std::string& problem) {
  if (!is_flat(body)) {
    problem = "nested JSON values are not accepted";
    return std::nullopt;
  }
  try {
    Poco::JSON::Parser parser;
    auto parsed = parser.parse(body);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
      problem = "the body must be a JSON object";
      return std::nullopt;
    }
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    Fields out;
    for (const auto& [key, value] : *object) {
      if (value.isString() || value.isNumeric() || value.isBoolean()) {
        out[key] = value.convert<std::string>();
      } else if (!value.isEmpty()) {
        problem = "\"" + key + "\" must be a string";
        return std::nullopt;
      }
    }
    return out;
  } catch (const Poco::Exception&) {
    problem = "the body is not valid JSON";
    return std::nullopt;
  }
}

std::optional<Fields> parse_form_fields(const std::string& body, std::string& problem) {
  Fields out;
  std::size_t start = 0, count = 0;
  while (start <= body.size() && !body.empty()) {
    auto end = body.find('&', start);
    std::string pair =
        body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? body.size() + 1 : end + 1;
    if (pair.empty()) continue;
    if (++count > 32) {
      problem = "too many form fields";
      return std::nullopt;
    }
    auto eq = pair.find('=');
    try {
      std::string key = url_decode(pair.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
      out[key] = value;
    } catch (const Poco::Exception&) {
      problem = "the form is not properly encoded";
      return std::nullopt;
    }
  }
  return out;
}

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

Exchange::Exchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                   const config::Settings& settings, const std::string& secret)
    : request_(request), response_(response), settings_(settings), secret_(secret) {
  const std::string& uri = request_.getURI();
  auto q = uri.find('?');
  path_ = uri.substr(0, q);
  if (q != std::string::npos) query_string_ = uri.substr(q + 1);
}

std::string Exchange::query(const std::string& name) const {
  std::string problem;
  auto fields = parse_form_fields(query_string_, problem);
  if (!fields) return "";
  auto it = fields->find(name);
  return it == fields->end() ? "" : it->second;
}

std::string Exchange::header(const std::string& name) const {
  return request_.get(name, "");
}

std::string Exchange::cookie(const std::string& name) const {
  Poco::Net::NameValueCollection cookies;
  request_.getCookies(cookies);
  return cookies.get(name, "");
}

std::string Exchange::client_address() const {
  std::string peer = request_.clientAddress().host().toString();
  const auto& trusted = settings_.server.trusted_proxies;
  if (std::find(trusted.begin(), trusted.end(), peer) == trusted.end()) return peer;
  std::string forwarded = header("X-Forwarded-For");
  if (forwarded.empty()) return peer;
  auto comma = forwarded.rfind(',');
  std::string last = forwarded.substr(comma == std::string::npos ? 0 : comma + 1);
  last.erase(0, last.find_first_not_of(' '));
  last.erase(last.find_last_not_of(' ') + 1);
  return last.empty() ? peer : last;
}

bool Exchange::is_form() const {
  return media_type(request_.getContentType()) == "application/x-www-form-urlencoded";
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
  const auto max = static_cast<std::size_t>(settings_.server.max_body_bytes);
  if (request_.hasContentLength() &&
      request_.getContentLength64() > static_cast<std::int64_t>(max)) {
    response_.setKeepAlive(false);
    send_error(
        {413, "payload_too_large", "The body is larger than " + std::to_string(max) + " bytes."});
    return std::nullopt;
  }
  const std::string type = media_type(request_.getContentType());
  const bool json = type == "application/json";
  const bool form = type == "application/x-www-form-urlencoded" && form_allowed;
  if (!json && !form) {
    response_.setKeepAlive(false);
    send_error({415, "unsupported_media_type",
                form_allowed ? "Send application/json or application/x-www-form-urlencoded."
                             : "Send application/json."});
    return std::nullopt;
  }
  std::string body;
  char buffer[4096];
  std::istream& in = request_.stream();
  while (in.read(buffer, sizeof buffer).gcount() > 0) {
    body.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max) {
      response_.setKeepAlive(false);
      send_error(
          {413, "payload_too_large", "The body is larger than " + std::to_string(max) + " bytes."});
      return std::nullopt;
    }
  }
  std::string problem;
  auto fields = json ? parse_json_fields(body, problem) : parse_form_fields(body, problem);
  if (!fields) {
    send_error(invalid_request(problem));
    return std::nullopt;
  }
  if (form && !csrf_token_matches(secret_, cookie(kCsrfCookie), (*fields)[kCsrfField])) {
    send_error({403, "forbidden",
                "This form is out of date or was not sent by this site. Reload the page and try "
                "again."});
    return std::nullopt;
  }
  return fields;
}

void Exchange::send(int status, const std::string& content_type, const std::string& body) {
  if (sent_) return;
  sent_ = true;
  status_ = status;
  response_.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response_.set("X-Content-Type-Options", "nosniff");
  response_.set("X-Frame-Options", "DENY");
  if (settings_.server.https()) response_.set("Strict-Transport-Security", "max-age=31536000");
  if (!response_.has("Cache-Control")) response_.set("Cache-Control", "no-store");
  if (!content_type.empty()) response_.setContentType(content_type);
  response_.setContentLength64(static_cast<Poco::UInt64>(body.size()));
  response_.sendBuffer(body.data(), body.size());
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
  if (sent_) return;
  sent_ = true;
  status_ = 204;
  response_.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
  response_.set("Cache-Control", "no-store");
  response_.setContentLength(0);
  response_.send();
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
  send_json(error.status, "{\"error\":\"" + host::json_escape(error.code) +
                              "\",\"error_description\":\"" + host::json_escape(error.description) +
                              "\"}");
}

void Exchange::set_cookie(const std::string& name, const std::string& value,
                          std::int64_t max_age_seconds) {
  std::string cookie = name + "=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                       std::to_string(max_age_seconds);
  const auto& s = settings_.session;
  if (!s.cookie_domain.empty()) cookie += "; Domain=" + s.cookie_domain;
  if (s.cookie_secure == "always" || (s.cookie_secure == "auto" && https())) cookie += "; Secure";
  response_.add("Set-Cookie", cookie);
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
  std::string browser = cookie(kCsrfCookie);
  if (browser.size() < 16 || browser.size() > 64) {
    browser = util::base64url_encode(util::random_bytes(18));
    set_cookie(kCsrfCookie, browser, 86'400);
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
