#include "http/message.h"

#include <algorithm>
#include <cctype>

#include "http/body_fields.h"

namespace linkgate::http {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string first_of(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (same_name(n, name)) return v;
  }
  return "";
}

}  // namespace

std::string Request::path() const {
  return target.substr(0, target.find('?'));
}

std::string Request::query_string() const {
  auto q = target.find('?');
  return q == std::string::npos ? "" : target.substr(q + 1);
}

std::string Request::header(std::string_view name) const {
  return first_of(headers, name);
}

std::vector<std::string> Request::headers_named(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    if (same_name(n, name)) out.push_back(v);
  }
  return out;
}

std::string Request::query(const std::string& name) const {
  auto fields = parse_form_fields(query_string());
  if (!fields.ok()) return "";
  auto it = fields->find(name);
  return it == fields->end() ? "" : it->second;
}

std::string Request::cookie(std::string_view name) const {
  for (const auto& line : headers_named("Cookie")) {
    std::string_view rest = line;
    while (!rest.empty()) {
      auto semicolon = rest.find(';');
      std::string_view pair = trimmed(rest.substr(0, semicolon));
      rest = semicolon == std::string_view::npos ? "" : rest.substr(semicolon + 1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && trimmed(pair.substr(0, eq)) == name) {
        std::string_view value = trimmed(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        return std::string(value);
      }
    }
  }
  return "";
}

void Response::set(const std::string& name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return same_name(h.first, name); });
  headers.emplace_back(name, std::move(value));
}

void Response::add(const std::string& name, std::string value) {
  headers.emplace_back(name, std::move(value));
}

std::string Response::header(std::string_view name) const {
  return first_of(headers, name);
}

bool Response::has(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return same_name(h.first, name); });
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 300   ? "OK"
             : status < 400 ? "Redirect"
             : status < 500 ? "Client Error"
                            : "Server Error";
  }
}

}  // namespace linkgate::http
