#include "jwt_token_strategy.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;

constexpr ConfigKey kConfigKeys[] = {
    {"algorithm", ConfigType::string, "ES256", false,
     "Signature algorithm: ES256 (pinned; never taken from the token)."},
    {"key_file", ConfigType::string, "data/keys/link.pem", false,
     "PEM private key; generated with mode 0600 when missing."},
    {"single_use", ConfigType::boolean, "true", false,
     "Refuse a second redeem of the same token (replay cache until expiry, in security.store)."},
    {"audience", ConfigType::string, "linkgate:link", false,
     "The aud claim of link tokens, kept apart from session tokens."},
    {"leeway", ConfigType::duration, "5s", false, "Clock skew tolerated on iat and exp."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  const auto& c = context.config;
  linkgate::plugins::jwt::JwtSettings s;
  s.algorithm = c.get_string("algorithm").value_or("ES256");
  if (linkgate::plugins::jwt::curve_for(s.algorithm).empty()) {
    return linkgate::sdk::fail(
        linkgate::sdk::ErrorCode::invalid,
        c.path() + ".algorithm: expected ES256, got \"" + s.algorithm + "\"");
  }
  s.key_file = c.resolve_path(c.get_string("key_file").value_or("data/keys/link.pem"));
  s.single_use = c.get_bool("single_use").value_or(true);
  s.audience = c.get_string("audience").value_or("linkgate:link");
  s.leeway = std::chrono::duration_cast<std::chrono::seconds>(
      c.get_duration("leeway").value_or(std::chrono::seconds(5)));
  return linkgate::sdk::make_instance(
      std::make_unique<linkgate::plugins::jwt::JwtTokenStrategy>(s, context.host));
}

}  // namespace

LINKGATE_PLUGIN(token_strategy, "jwt", "1.0.0",
                "Stateless ECDSA-signed link tokens (ES256), single use through a replay cache",
                kConfigKeys, create)
