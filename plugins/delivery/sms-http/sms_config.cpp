#include "sms_config.h"

#include <kainjow/mustache.hpp>

#include "linkgate/config/plugin_block.h"

namespace linkgate::plugins::sms {

using sdk::ConfigType;

const std::array<sdk::ConfigKey, 11> kConfigKeys{{
    {"preset", ConfigType::string, "", false, "twilio, or empty for a generic gateway."},
    {"account_sid", ConfigType::string, "", false, "twilio: the account SID."},
    {"auth_token", ConfigType::secret, "", false, "twilio: the auth token."},
    {"base_url", ConfigType::string, "https://api.twilio.com", false,
     "twilio: the API base (tests point it at loopback)."},
    {"from", ConfigType::string, "", false, "Sender number or name ({{from}} in a generic body)."},
    {"url", ConfigType::string, "", false, "Generic: the gateway URL ({{to}} allowed)."},
    {"method", ConfigType::string, "POST", false, "Generic: POST, PUT or GET."},
    {"headers", ConfigType::string_map, nullptr, false,
     "Generic: extra headers, e.g. Authorization."},
    {"body", ConfigType::string, "{\"to\": \"{{to}}\", \"text\": \"{{text}}\"}", false,
     "Generic: mustache body; {{to}} {{from}} {{text}} {{link}} {{code}} escaped for "
     "content_type."},
    {"content_type", ConfigType::string, "application/json", false,
     "Generic: the body's media type."},
    {"timeout", ConfigType::duration, "10s", false, "Connect, send and receive timeout, each."},
}};

sdk::Result<GatewaySettings> read_settings(const sdk::ConfigView& c) {
  const std::string preset = c.get_string("preset").value();
  GatewaySettings s;
  if (preset == "twilio") {
    auto sid = c.get_string("account_sid").value();
    auto token = c.get_string("auth_token").value();
    auto from = c.get_string("from").value();
    if (sid.empty() || token.empty() || from.empty()) {
      return sdk::fail(sdk::ErrorCode::invalid,
                       c.path() + ": preset twilio needs account_sid, auth_token and from");
    }
    if (c.is_set("url") || c.is_set("body") || c.is_set("headers")) {
      return sdk::fail(sdk::ErrorCode::invalid,
                       c.path() + ": url, body and headers come from the twilio preset");
    }
    s = twilio_preset(c.get_string("base_url").value(), sid, token, from);
  } else if (preset.empty()) {
    s.url = c.get_string("url").value();
    if (s.url.empty())
      return sdk::fail(sdk::ErrorCode::invalid, c.path() + ".url: required without a preset");
    s.method = c.get_string("method").value();
    if (s.method != "POST" && s.method != "PUT" && s.method != "GET") {
      return sdk::fail(sdk::ErrorCode::invalid, c.path() + ".method: expected POST, PUT or GET");
    }
    s.headers = c.get_map("headers");
    s.body = c.get_string("body").value();
    s.content_type = c.get_string("content_type").value();
    s.from = c.get_string("from").value();
  } else {
    return sdk::fail(sdk::ErrorCode::invalid,
                     c.path() + ".preset: expected twilio or nothing, got \"" + preset + "\"");
  }
  for (const auto* tmpl : {&s.url, &s.body}) {
    kainjow::mustache::mustache check(*tmpl);
    if (!check.is_valid())
      return sdk::fail(sdk::ErrorCode::invalid,
                       c.path() + ": template error: " + check.error_message());
  }
  if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0) {
    return sdk::fail(sdk::ErrorCode::invalid,
                     c.path() + ": the gateway URL must be http:// or https://");
  }
  s.timeout = c.get_duration("timeout").value();
  return s;
}

GatewaySettings settings_with(const std::map<std::string, std::string>& written) {
  return plugin_block::settings_from("sms-http", kConfigKeys, written, read_settings);
}

}  // namespace linkgate::plugins::sms
