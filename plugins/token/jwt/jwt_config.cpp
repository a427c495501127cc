#include "jwt_config.h"

#include "linkgate/config/plugin_block.h"

namespace linkgate::plugins::jwt {

using sdk::ConfigType;

const std::array<sdk::ConfigKey, 5> kConfigKeys{{
    {"algorithm", ConfigType::string, "ES256", false,
     "Signature algorithm: ES256 (pinned; never taken from the token)."},
    {"key_file", ConfigType::string, "data/keys/link.pem", false,
     "PEM private key; generated with mode 0600 when missing."},
    {"single_use", ConfigType::boolean, "true", false,
     "Refuse a second redeem of the same token (replay cache until expiry, in security.store)."},
    {"audience", ConfigType::string, "linkgate:link", false,
     "The aud claim of link tokens, kept apart from session tokens."},
    {"leeway", ConfigType::duration, "5s", false, "Clock skew tolerated on iat and exp."},
}};

sdk::Result<JwtSettings> read_settings(const sdk::ConfigView& c) {
  JwtSettings s;
  s.algorithm = c.get_string("algorithm").value();
  if (curve_for(s.algorithm).empty()) {
    return sdk::fail(sdk::ErrorCode::invalid,
                     c.path() + ".algorithm: expected ES256, got \"" + s.algorithm + "\"");
  }
  s.key_file = c.resolve_path(c.get_string("key_file").value());
  s.single_use = c.get_bool("single_use").value();
  s.audience = c.get_string("audience").value();
  s.leeway = std::chrono::duration_cast<std::chrono::seconds>(c.get_duration("leeway").value());
  return s;
}

JwtSettings settings_with(const std::map<std::string, std::string>& written) {
  return plugin_block::settings_from("jwt", kConfigKeys, written, read_settings);
}

}  // namespace linkgate::plugins::jwt
