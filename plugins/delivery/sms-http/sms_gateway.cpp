#include "sms_gateway.h"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "util/base64url.h"
#include "util/json_escape.h"

namespace linkgate::plugins::sms {
namespace {

namespace mustache = kainjow::mustache;

std::string json_escape(const std::string& s) {
  return util::json_escape(s);
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string standard_base64(const std::string& bytes) {
  std::string b = util::base64url_encode(bytes);
  std::replace(b.begin(), b.end(), '-', '+');
  std::replace(b.begin(), b.end(), '_', '/');
  while (b.size() % 4) b.push_back('=');
  return b;
}

std::string render(const std::string& tmpl, const sdk::Message& m, const std::string& from,
                   std::string (*escape)(const std::string&)) {
  mustache::mustache t(tmpl);
  t.set_custom_escape(escape);
  mustache::data d;
  d.set("to", m.to);
  d.set("from", from);
  d.set("text", m.text);
  d.set("link", m.link);
  d.set("code", m.code);
  return t.render(d);
}

std::string identity(const std::string& s) {
  return s;
}

std::string media_type(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

}  // namespace

bool is_e164(const std::string& n) {
  return n.size() >= 8 && n.size() <= 16 && n[0] == '+' && n[1] != '0' &&
         std::all_of(n.begin() + 1, n.end(), [](unsigned char c) { return std::isdigit(c); });
}

GatewaySettings twilio_preset(const std::string& base_url, const std::string& account_sid,
                              const std::string& auth_token, const std::string& from) {
  GatewaySettings s;
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  s.url = base + "/2010-04-01/Accounts/" + url_encode(account_sid) + "/Messages.json";
  s.method = "POST";
  s.content_type = "application/x-www-form-urlencoded";
  s.body = "To={{to}}&From={{from}}&Body={{text}}";
  s.headers["Authorization"] = "Basic " + standard_base64(account_sid + ":" + auth_token);
  s.from = from;
  return s;
}

sdk::HttpRequest build_request(const GatewaySettings& settings, const sdk::Message& message) {
  sdk::HttpRequest request;
  request.method = settings.method;
  request.url = render(settings.url, message, settings.from, url_encode);
  const std::string type = media_type(settings.content_type);
  auto escape = type == "application/json"                    ? json_escape
                : type == "application/x-www-form-urlencoded" ? url_encode
                                                              : identity;
  request.body = render(settings.body, message, settings.from, escape);
  request.headers.emplace_back("Content-Type", settings.content_type);
  for (const auto& [name, value] : settings.headers) request.headers.emplace_back(name, value);
  request.timeout = settings.timeout;
  return request;
}

sdk::ErrorCode classify_status(int status) {
  if (status >= 200 && status < 300) return sdk::ErrorCode::none;
  if (status == 408 || status == 429 || status >= 500) return sdk::ErrorCode::retryable;
  return sdk::ErrorCode::permanent;
}

SmsGatewayChannel::SmsGatewayChannel(GatewaySettings settings, sdk::HostServices& host)
    : settings_(std::move(settings)), host_(host) {}

sdk::Result<void> SmsGatewayChannel::send(const sdk::Message& message) {
  if (!is_e164(message.to))
    return sdk::fail(sdk::ErrorCode::invalid, "the recipient is not an E.164 number");
  auto response = host_.http().send(build_request(settings_, message));
  if (!response.ok()) return sdk::fail(response.code(), "gateway: " + response.error().message);
  const auto outcome = classify_status(response->status);
  if (outcome == sdk::ErrorCode::none) {
    host_.metrics().increment("sms_sent", {});
    return sdk::success();
  }
  // The gateway's own words help the operator; they never contain our message text.
  std::string said = response->body.substr(0, 200);
  std::replace_if(
      said.begin(), said.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return sdk::fail(outcome,
                   "gateway answered HTTP " + std::to_string(response->status) + ": " + said);
}

sdk::Result<void> SmsGatewayChannel::ready() {
  if (settings_.url.rfind("http://", 0) != 0 && settings_.url.rfind("https://", 0) != 0) {
    return sdk::fail(sdk::ErrorCode::unavailable, "url is not http(s)");
  }
  return sdk::success();
}

}  // namespace linkgate::plugins::sms
