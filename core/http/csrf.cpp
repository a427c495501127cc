#include "http/csrf.h"

#include <algorithm>
#include <cctype>

#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::http {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// scheme://host[:port] of a URL, lower-cased, default ports dropped.
std::string origin_of(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  auto end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin = lower(url.substr(0, end));
  for (const char* default_port : {"http://", "https://"}) {
    const std::string suffix = std::string(default_port) == "http://" ? ":80" : ":443";
    if (origin.rfind(default_port, 0) == 0 && origin.size() > suffix.size() &&
        origin.compare(origin.size() - suffix.size(), suffix.size(), suffix) == 0) {
      origin.erase(origin.size() - suffix.size());
    }
  }
  return origin;
}

}  // namespace

std::string csrf_cookie_name(bool secure_cookies) {
  return secure_cookies ? std::string("__Host-") + kCsrfCookie : std::string(kCsrfCookie);
}

namespace {

std::string cookie_signature(const std::string& secret, const std::string& nonce) {
  return util::base64url_encode(util::hmac_sha256(secret, "csrf-cookie:" + nonce).substr(0, 16));
}

}  // namespace

std::string new_csrf_cookie(const std::string& secret) {
  const std::string nonce = util::base64url_encode(util::random_bytes(18));
  return nonce + "." + cookie_signature(secret, nonce);
}

bool csrf_cookie_valid(const std::string& secret, const std::string& cookie) {
  const auto dot = cookie.find('.');
  if (dot != 24 || cookie.size() > 64) return false;
  return util::constant_time_equal(cookie_signature(secret, cookie.substr(0, dot)),
                                   cookie.substr(dot + 1));
}

std::string csrf_token(const std::string& secret, const std::string& cookie) {
  return util::base64url_encode(util::hmac_sha256(secret, "csrf:" + cookie));
}

bool csrf_token_matches(const std::string& secret, const std::string& cookie,
                        const std::string& token) {
  if (token.empty() || !csrf_cookie_valid(secret, cookie)) return false;
  return util::constant_time_equal(csrf_token(secret, cookie), token);
}

bool origin_allowed(const std::string& origin, const std::string& public_base_url,
                    const std::string& scheme, const std::string& host_header) {
  if (origin.empty()) return true;
  const std::string presented = origin_of(origin);
  if (presented.empty()) return false;  // "null" (sandboxed frames, file:) and garbage
  if (presented == origin_of(public_base_url)) return true;
  return !host_header.empty() && presented == origin_of(scheme + "://" + host_header);
}

}  // namespace linkgate::http
