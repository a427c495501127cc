#pragma once
// Reading an HTTP/1.1 request head from raw bytes, strictly: the head is checked line by line
// (CRLF only, no obs-fold, token names, no control bytes), parsed by Poco's HTTPRequest, and its
// framing decided (RFC 9112 §6): one Content-Length or none, no Transfer-Encoding. Anything a
// proxy in front could read differently is refused, so no request can hide inside another.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/message.h"

namespace linkgate::server {

/// Where a head ends in a buffer being filled: found (the offset just past the empty line),
/// not yet, or malformed (a bare CR or LF, which a lenient parser elsewhere might split on).
struct HeadEnd {
  enum class State { incomplete, complete, malformed };
  State state = State::incomplete;
  std::size_t end = 0;      ///< with complete: bytes from the start of the head to its end
  std::size_t scanned = 0;  ///< with incomplete: resume the next scan here
};

/// Scans @p buffer (which starts at the head's first byte) from @p from for the empty line.
HeadEnd find_head_end(std::string_view buffer, std::size_t from);

/// A head that passed every check, with its framing decided.
struct RequestHead {
  http::Request request;  ///< method, target, headers; no body yet
  std::uint64_t content_length = 0;
  bool keep_alive = true;         ///< HTTP/1.1 without `Connection: close`
  bool expects_continue = false;  ///< `Expect: 100-continue` on HTTP/1.1
};

/// Why a head is refused: the status to answer (400, 411, 431, 501, 505) and a sentence for the
/// client. The connection is always closed after a refusal.
struct HeadRefusal {
  int status = 400;
  std::string reason;
};

/// Parses the complete head @p head (request line to the empty line, CRLF-terminated).
std::variant<RequestHead, HeadRefusal> parse_request_head(std::string_view head);

}  // namespace linkgate::server
