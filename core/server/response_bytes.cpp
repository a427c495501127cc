#include "server/response_bytes.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/String.h>

#include <chrono>
#include <ctime>

#include "http/json_text.h"

namespace linkgate::server {
namespace {

bool is_framing(const std::string& name) {
  return Poco::icompare(name, "Content-Length") == 0 ||
         Poco::icompare(name, "Transfer-Encoding") == 0 ||
         Poco::icompare(name, "Connection") == 0 || Poco::icompare(name, "Date") == 0;
}

bool splits_lines(const std::string& text) {
  return text.find_first_of("\r\n") != std::string::npos;
}

// The Date header changes once a second; formatting it per response would cost more than the
// rest of the head.
const std::string& http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    cached = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(now),
                                             Poco::DateTimeFormat::HTTP_FORMAT);
  }
  return cached;
}

const char* error_code(int status) {
  switch (status) {
    case 408:
      return "request_timeout";
    case 411:
      return "length_required";
    case 413:
      return "payload_too_large";
    case 417:
      return "expectation_failed";
    case 431:
      return "header_too_large";
    case 501:
      return "not_implemented";
    case 505:
      return "http_version_not_supported";
    default:
      return "invalid_request";
  }
}

}  // namespace

std::string response_bytes(const http::Response& answer, bool head_request, bool keep_alive) {
  std::string out;
  out.reserve(256 + answer.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(answer.status);
  out += ' ';
  out += http::reason_phrase(answer.status);
  out += "\r\n";
  for (const auto& [name, value] : answer.headers) {
    if (is_framing(name) || splits_lines(name) || splits_lines(value)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Date: ";
  out += http_date();
  out += "\r\nContent-Length: ";
  out += std::to_string(answer.body.size());
  out += "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_request) out += answer.body;
  return out;
}

http::Response refusal(int status, const std::string& description) {
  http::Response answer;
  answer.status = status;
  answer.close = true;
  answer.set("Content-Type", "application/json; charset=utf-8");
  answer.set("Cache-Control", "no-store");
  answer.set("X-Content-Type-Options", "nosniff");
  auto body = http::json_object();
  body.set("error", error_code(status));
  body.set("error_description", description);
  answer.body = http::json_text(body);
  return answer;
}

http::Response body_too_large(std::size_t max_body) {
  return refusal(413, "The body is larger than " + std::to_string(max_body) + " bytes.");
}

}  // namespace linkgate::server
