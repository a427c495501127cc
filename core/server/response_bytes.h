#pragma once
// A Response value as the bytes of an HTTP/1.1 response, and the answers the front end gives on
// its own (a head or body it refuses) before any route sees the request.

#include <string>

#include "http/message.h"

namespace linkgate::server {

/// The status line, @p answer's headers, Date, Content-Length and (when @p keep_alive is false)
/// `Connection: close`, then the body unless @p head_request. A header whose name or value holds
/// CR or LF is dropped, so no value can start a header or a response of its own; framing headers
/// a route set (Content-Length, Transfer-Encoding, Connection) are replaced by the real ones.
std::string response_bytes(const http::Response& answer, bool head_request, bool keep_alive);

/// The front end's own refusal: @p status with the API's error shape, and the connection closed.
http::Response refusal(int status, const std::string& description);

/// 413 for a body over @p max_body bytes.
http::Response body_too_large(std::size_t max_body);

}  // namespace linkgate::server
