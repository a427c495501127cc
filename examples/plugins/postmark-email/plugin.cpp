// The linkgate delivery plugin "postmark": declared keys and factory.
#include "postmark_channel.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;

constexpr ConfigKey kConfigKeys[] = {
    {"server_token", ConfigType::secret, nullptr, true, "The API's server token."},
    {"from", ConfigType::string, nullptr, true, "Sender, e.g. \"Example <no-reply@example.com>\"."},
    {"base_url", ConfigType::string, "https://api.postmarkapp.com", false,
     "The API base URL (tests point it at loopback)."},
    {"message_stream", ConfigType::string, "outbound", false, "The transactional stream."},
    {"timeout", ConfigType::duration, "10s", false, "Connect, send and receive timeout, each."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  const auto& c = context.config;
  postmark::Settings s;
  s.server_token = c.get_string("server_token").value_or("");
  s.from = c.get_string("from").value_or("");
  s.base_url = c.get_string("base_url").value();
  s.message_stream = c.get_string("message_stream").value();
  s.timeout = c.get_duration("timeout").value();
  if (s.from.find_first_of("\r\n") != std::string::npos)
    return linkgate::sdk::fail(linkgate::sdk::ErrorCode::invalid, "from: CR or LF");
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  return linkgate::sdk::make_instance(
      std::make_unique<postmark::PostmarkChannel>(std::move(s), context.host));
}

}  // namespace

LINKGATE_PLUGIN(delivery_channel, "postmark", "0.1.0",
                "Sign-in e-mail through a Postmark-shaped HTTP e-mail API", kConfigKeys, create)
