#include "postmark_channel.h"

#include <cstdio>

namespace postmark {
namespace {

using linkgate::sdk::ErrorCode;
using linkgate::sdk::fail;

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string email_json(const Settings& s, const linkgate::sdk::Message& m) {
  return "{\"From\":" + json_string(s.from) + ",\"To\":" + json_string(m.to) +
         ",\"Subject\":" + json_string(m.subject) + ",\"TextBody\":" + json_string(m.text) +
         ",\"HtmlBody\":" + json_string(m.html) +
         ",\"MessageStream\":" + json_string(s.message_stream) +
         ",\"Metadata\":{\"linkgate_message\":" + json_string(m.id) + "}}";
}

PostmarkChannel::PostmarkChannel(Settings settings, linkgate::sdk::HostServices& host)
    : settings_(std::move(settings)), host_(host) {}

linkgate::sdk::Result<void> PostmarkChannel::send(const linkgate::sdk::Message& message) {
  if (message.kind != linkgate::sdk::AddressKind::email)
    return fail(ErrorCode::permanent, "postmark sends e-mail only");
  if (message.to.find_first_of("\r\n") != std::string::npos ||
      message.subject.find_first_of("\r\n") != std::string::npos) {
    return fail(ErrorCode::invalid, "CR or LF in the address or subject");
  }
  linkgate::sdk::HttpRequest request;
  request.url = settings_.base_url + "/email";
  request.headers = {{"Accept", "application/json"},
                     {"Content-Type", "application/json"},
                     {"X-Postmark-Server-Token", settings_.server_token}};
  request.body = email_json(settings_, message);
  request.timeout = settings_.timeout;
  auto response = host_.http().send(request);
  if (!response.ok()) return fail(ErrorCode::retryable, response.error().message);
  const int status = response->status;
  if (status == 200) return linkgate::sdk::success();
  const std::string why = "the e-mail API answered HTTP " + std::to_string(status);
  if (status == 429 || status >= 500) return fail(ErrorCode::retryable, why);
  return fail(ErrorCode::permanent, why);
}

linkgate::sdk::Result<void> PostmarkChannel::ready() {
  if (settings_.server_token.empty()) return fail(ErrorCode::unavailable, "no server_token");
  return linkgate::sdk::success();
}

}  // namespace postmark
