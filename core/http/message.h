#pragma once
// An HTTP request and its response as plain values: what the routes read and write. Only the
// front end (server/) turns sockets into a Request and a Response into bytes.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace linkgate::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// A complete request: its head and its whole body, already read by the front end.
struct Request {
  std::string method;  ///< GET, POST, HEAD, ...
  std::string target;  ///< as sent: the path and the query
  HeaderList headers;  ///< as received, in order (a name may repeat)
  std::string body;    ///< complete; never more than server.max_body_bytes
  std::string peer;    ///< the address the connection came from, without the port
  bool admin = false;  ///< came in on a server.admin listener

  /// The target up to `?`.
  [[nodiscard]] std::string path() const;
  /// The target after `?` (empty when there is none).
  [[nodiscard]] std::string query_string() const;
  /// The first header called @p name (case-insensitive); "" when there is none.
  [[nodiscard]] std::string header(std::string_view name) const;
  /// Every value of the header @p name, in order.
  [[nodiscard]] std::vector<std::string> headers_named(std::string_view name) const;
  /// The query parameter @p name, decoded; "" when absent or when the query is malformed.
  [[nodiscard]] std::string query(const std::string& name) const;
  /// The cookie @p name from every Cookie header; "" when absent.
  [[nodiscard]] std::string cookie(std::string_view name) const;
};

/// What a route answers. The front end adds Content-Length and writes it.
struct Response {
  int status = 200;
  HeaderList headers;  ///< Set-Cookie may repeat; other names appear once (set())
  std::string body;
  bool close = false;  ///< close the connection after this response

  /// Replaces every header called @p name with one.
  void set(const std::string& name, std::string value);
  /// Adds a header, keeping others of the same name (Set-Cookie).
  void add(const std::string& name, std::string value);
  /// The first header called @p name (case-insensitive); "" when there is none.
  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const;
};

/// The reason phrase of @p status (RFC 9110): "Accepted" for 202, "Too Many Requests" for 429.
const char* reason_phrase(int status);

}  // namespace linkgate::http
