#pragma once
// Cross-site request forgery defences for the built-in forms: the request's Origin must be this
// server, and a form must carry a token bound to the browser's `lg_csrf` cookie by a keyed hash
// (so a cookie planted from a sibling domain is useless without the server secret).

#include <string>

namespace linkgate::http {

inline constexpr const char* kCsrfCookie = "lg_csrf";
inline constexpr const char* kCsrfField = "csrf";

/// The form token for the browser holding @p cookie.
std::string csrf_token(const std::string& secret, const std::string& cookie);
/// True when @p token is the one for @p cookie (compared in constant time).
bool csrf_token_matches(const std::string& secret, const std::string& cookie,
                        const std::string& token);
/// True when a request with @p origin may change state: no Origin header (not a browser, or a
/// same-origin navigation of an old browser), or the origin of @p public_base_url, or the origin
/// the request itself was sent to (@p scheme + "://" + @p host_header).
bool origin_allowed(const std::string& origin, const std::string& public_base_url,
                    const std::string& scheme, const std::string& host_header);

}  // namespace linkgate::http
