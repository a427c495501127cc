#pragma once
// SMS through an HTTP gateway: any gateway described by URL, method, headers and a mustache
// body, or the Twilio preset. Uses the host's HTTP client, so it links no HTTP library itself.

#include <chrono>
#include <map>
#include <string>

#include "linkgate/sdk/sdk.h"

namespace linkgate::plugins::sms {

/// What the channel sends with; the values and their defaults come from the key table in
/// sms_config.cpp (or from twilio_preset()).
struct GatewaySettings {
  std::string url;  // may use {{to}}, URL-encoded
  std::string method;
  std::map<std::string, std::string> headers;  // sent as given (secrets via ${ENV})
  std::string body;  // mustache: {{to}} {{from}} {{text}} {{link}} {{code}}
  std::string content_type;
  std::string from;
  std::chrono::milliseconds timeout{0};
};

/// The Twilio Messages API as a gateway: form POST to
/// `{base_url}/2010-04-01/Accounts/{sid}/Messages.json` with Basic auth.
GatewaySettings twilio_preset(const std::string& base_url, const std::string& account_sid,
                              const std::string& auth_token, const std::string& from);

/// The request for @p message: values in the body escaped for the content type (JSON string
/// escaping, form URL-encoding), in the URL URL-encoded.
sdk::HttpRequest build_request(const GatewaySettings& settings, const sdk::Message& message);

/// What a gateway's HTTP status means: 2xx delivered, 408/429/5xx retry, other 4xx permanent.
sdk::ErrorCode classify_status(int status);

class SmsGatewayChannel final : public sdk::DeliveryChannel {
 public:
  SmsGatewayChannel(GatewaySettings settings, sdk::HostServices& host);
  sdk::Result<void> send(const sdk::Message& message) override;
  sdk::Result<void> ready() override;

 private:
  GatewaySettings settings_;
  sdk::HostServices& host_;
};

/// True for `+` followed by 7 to 15 digits.
bool is_e164(const std::string& number);

}  // namespace linkgate::plugins::sms
