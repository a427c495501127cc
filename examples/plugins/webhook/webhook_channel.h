#pragma once
// The "webhook" delivery channel: POSTs each sign-in message as a JSON object to a URL, through
// the host's HTTP client (certificates checked against the system CAs).

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "linkgate/sdk/sdk.h"

namespace webhook {

struct Settings {
  std::string url;
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds timeout{0};  // the key table's default applies
};

class Channel final : public linkgate::sdk::DeliveryChannel {
 public:
  /// @p host outlives the channel (the server guarantees it).
  Channel(Settings settings, linkgate::sdk::HostServices& host);

  /// 2xx: delivered. 408, 429, 5xx or no answer: retryable. Other statuses: permanent.
  /// CR or LF in the address or subject: invalid, and nothing is sent.
  linkgate::sdk::Result<void> send(const linkgate::sdk::Message& message) override;
  linkgate::sdk::Result<void> ready() override;

 private:
  Settings settings_;
  linkgate::sdk::HostServices& host_;
};

/// The request body: {"id","to","kind","subject","text","html","link","code","locale"}.
std::string message_json(const linkgate::sdk::Message& message);

}  // namespace webhook
