#include "server/request_head.h"

#include <Poco/Exception.h>
#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/String.h>

#include <vector>

namespace linkgate::server {
namespace {

bool is_token_char(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// A field value: visible ASCII, space, tab and (obsolete but harmless) bytes above 0x7F.
bool is_field_value(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\t' || c == ' ' || (c > 0x20 && c != 0x7f)) continue;
    return false;
  }
  return true;
}

bool is_request_target(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_token(const std::string& list, std::string_view token) {
  std::string_view rest = list;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = trimmed(rest.substr(0, comma));
    if (Poco::icompare(std::string(item), std::string(token)) == 0) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

std::string last_token(const std::string& list) {
  const auto comma = list.rfind(',');
  return std::string(trimmed(comma == std::string::npos ? list : list.substr(comma + 1)));
}

HeadRefusal refused(int status, std::string reason) {
  return {status, std::move(reason)};
}

// Every line of the head on its own, before Poco reads it: Poco is lenient (it folds
// continuation lines and accepts bare LF), and a lenient reader behind a strict one, or the other
// way round, is how requests get smuggled.
std::optional<HeadRefusal> check_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at < head.size();) {
    const auto end = head.find("\r\n", at);
    if (end == std::string_view::npos) return refused(400, "The request head is not terminated.");
    lines.push_back(head.substr(at, end - at));
    at = end + 2;
  }
  if (lines.size() < 2 || !lines.back().empty()) {
    return refused(400, "The request head is not terminated.");
  }
  lines.pop_back();
  const std::string_view request_line = lines.front();
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return refused(400, "The request line must be: method, target, version.");
  }
  const auto method = request_line.substr(0, first_space);
  const auto target = request_line.substr(first_space + 1, last_space - first_space - 1);
  const auto version = request_line.substr(last_space + 1);
  if (!is_token(method) || !is_request_target(target)) {
    return refused(400, "The request line must be: method, target, version.");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    const bool looks_like_http = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                                 is_digits(version.substr(5, 1)) && version[6] == '.' &&
                                 is_digits(version.substr(7, 1));
    return looks_like_http ? refused(505, "Only HTTP/1.0 and HTTP/1.1 are served here.")
                           : refused(400, "The request line must be: method, target, version.");
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      return refused(400, "Folded header lines (obs-fold) are not accepted.");
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return refused(400, "A header line must be a name, a colon and a value.");
    }
    if (!is_field_value(line.substr(colon + 1))) {
      return refused(400, "A header value holds a control character.");
    }
  }
  return std::nullopt;
}

}  // namespace

HeadEnd find_head_end(std::string_view buffer, std::size_t from) {
  for (std::size_t i = from; i < buffer.size(); ++i) {
    const char c = buffer[i];
    if (i > 0 && buffer[i - 1] == '\r' && c != '\n') return {HeadEnd::State::malformed, 0, i};
    if (c != '\n') continue;
    if (i == 0 || buffer[i - 1] != '\r') return {HeadEnd::State::malformed, 0, i};
    if (i >= 3 && buffer[i - 2] == '\n' && buffer[i - 3] == '\r') {
      return {HeadEnd::State::complete, i + 1, i + 1};
    }
  }
  return {HeadEnd::State::incomplete, 0, buffer.size()};
}

std::variant<RequestHead, HeadRefusal> parse_request_head(std::string_view head) {
  if (auto refusal = check_lines(head)) return *refusal;

  Poco::Net::HTTPRequest parsed;
  try {
    Poco::MemoryInputStream in(head.data(), head.size());
    parsed.read(in);
  } catch (const Poco::Exception& e) {
    // Poco's own limits: 100 fields, names of 256 bytes, values of 8 KiB, targets of 16 KiB.
    return refused(400, "The request head is malformed or too large (" + e.message() + ").");
  }

  RequestHead out;
  out.request.method = parsed.getMethod();
  out.request.target = parsed.getURI();
  for (const auto& [name, value] : parsed) out.request.headers.emplace_back(name, value);
  const bool http11 = parsed.getVersion() == Poco::Net::HTTPMessage::HTTP_1_1;

  const auto lengths = out.request.headers_named("Content-Length");
  const auto codings = out.request.headers_named("Transfer-Encoding");
  if (lengths.size() > 1) return refused(400, "More than one Content-Length.");
  if (!codings.empty()) {
    if (!lengths.empty()) return refused(400, "Content-Length and Transfer-Encoding together.");
    if (!http11) return refused(400, "Transfer-Encoding is not HTTP/1.0.");
    std::string joined;
    for (const auto& c : codings) joined += (joined.empty() ? "" : ",") + c;
    if (Poco::icompare(last_token(joined), "chunked") == 0) {
      return refused(411, "Chunked request bodies are not accepted; send Content-Length.");
    }
    return refused(501, "That transfer coding is not supported.");
  }
  if (!lengths.empty()) {
    const auto value = trimmed(lengths.front());
    if (!is_digits(value) || value.size() > 18) {
      return refused(400, "Content-Length must be a number of bytes.");
    }
    out.content_length = std::stoull(std::string(value));
  }

  const auto hosts = out.request.headers_named("Host");
  if (hosts.size() > 1 || (http11 && hosts.empty())) {
    return refused(400, "An HTTP/1.1 request carries exactly one Host header.");
  }

  out.keep_alive = http11 && !has_token(out.request.header("Connection"), "close");
  const auto expect = out.request.headers_named("Expect");
  if (!expect.empty()) {
    if (expect.size() > 1 || Poco::icompare(std::string(trimmed(expect.front())), "100-continue")) {
      return refused(417, "Only Expect: 100-continue is understood.");
    }
    out.expects_continue = http11;
  }
  return out;
}

}  // namespace linkgate::server
