#pragma once
// Cross-site request forgery defences for the built-in forms: the request's Origin must be this
// server, and a form must carry a token bound to the browser's CSRF cookie by a keyed hash. The
// cookie itself is signed, so only values this server issued count (a value chosen by whoever
// planted it gets no token), and under https it is `__Host-lg_csrf`, which a sibling domain
// cannot set at all.

#include <string>

namespace linkgate::http {

inline constexpr const char* kCsrfCookie = "lg_csrf";
inline constexpr const char* kCsrfField = "csrf";

/// The CSRF cookie's name: `__Host-lg_csrf` when cookies are Secure, `lg_csrf` otherwise.
std::string csrf_cookie_name(bool secure_cookies);
/// A new CSRF cookie value: 18 random bytes and their signature under @p secret.
std::string new_csrf_cookie(const std::string& secret);
/// True when @p cookie is a value new_csrf_cookie() made with @p secret (constant time).
bool csrf_cookie_valid(const std::string& secret, const std::string& cookie);

/// The form token for the browser holding @p cookie.
std::string csrf_token(const std::string& secret, const std::string& cookie);
/// True when @p cookie is one this server issued and @p token is the one for it (constant time).
bool csrf_token_matches(const std::string& secret, const std::string& cookie,
                        const std::string& token);
/// True when a request with @p origin may change state: no Origin header (not a browser, or a
/// same-origin navigation of an old browser), or the origin of @p public_base_url, or the origin
/// the request itself was sent to (@p scheme + "://" + @p host_header).
bool origin_allowed(const std::string& origin, const std::string& public_base_url,
                    const std::string& scheme, const std::string& host_header);

}  // namespace linkgate::http
