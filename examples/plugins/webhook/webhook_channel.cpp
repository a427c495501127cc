#include "webhook_channel.h"

#include <cstdio>

namespace webhook {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string message_json(const linkgate::sdk::Message& m) {
  return "{\"id\":" + json_string(m.id) + ",\"to\":" + json_string(m.to) +
         ",\"kind\":" + json_string(linkgate::sdk::to_string(m.kind)) +
         ",\"subject\":" + json_string(m.subject) + ",\"text\":" + json_string(m.text) +
         ",\"html\":" + json_string(m.html) + ",\"link\":" + json_string(m.link) +
         ",\"code\":" + json_string(m.code) + ",\"locale\":" + json_string(m.locale) + "}";
}

Channel::Channel(Settings settings, linkgate::sdk::HostServices& host)
    : settings_(std::move(settings)), host_(host) {}

linkgate::sdk::Result<void> Channel::send(const linkgate::sdk::Message& message) {
  using linkgate::sdk::ErrorCode;
  if (message.to.find_first_of("\r\n") != std::string::npos ||
      message.subject.find_first_of("\r\n") != std::string::npos) {
    return linkgate::sdk::fail(ErrorCode::invalid, "CR or LF in the address or subject");
  }
  linkgate::sdk::HttpRequest request;
  request.method = "POST";
  request.url = settings_.url;
  request.headers.assign(settings_.headers.begin(), settings_.headers.end());
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = message_json(message);
  request.timeout = settings_.timeout;
  auto response = host_.http().send(request);
  if (!response.ok()) return linkgate::sdk::fail(ErrorCode::retryable, response.error().message);
  const int status = response->status;
  if (status >= 200 && status < 300) return linkgate::sdk::success();
  const std::string why = "the endpoint answered HTTP " + std::to_string(status);
  if (status == 408 || status == 429 || status >= 500) {
    return linkgate::sdk::fail(ErrorCode::retryable, why);
  }
  return linkgate::sdk::fail(ErrorCode::permanent, why);
}

linkgate::sdk::Result<void> Channel::ready() {
  return linkgate::sdk::success();
}

}  // namespace webhook
