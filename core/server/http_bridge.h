#pragma once
// The one place Poco's HTTP server classes meet the routes: a Poco request becomes a complete
// http::Request (its whole body read, or refused), and an http::Response is written back with
// its correct status line.

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstddef>
#include <optional>

#include "http/message.h"

namespace linkgate::server {

/// @p request with its body read to the end. A body over @p max_body bytes (by Content-Length,
/// or as it arrives when chunked) is not read: nullopt, and the connection must be closed so
/// that no part of it is taken for the next request.
std::optional<http::Request> read_request(Poco::Net::HTTPServerRequest& request,
                                          std::size_t max_body);

/// Writes @p answer with its status, reason phrase, headers and Content-Length; no body for
/// HEAD. Closes the connection afterwards when @p answer says so.
void write_response(const http::Response& answer, bool head,
                    Poco::Net::HTTPServerResponse& response);

/// What is answered for a body over the limit: 413, and the connection closed.
http::Response body_too_large(std::size_t max_body);

}  // namespace linkgate::server
