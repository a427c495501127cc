#pragma once
// Sends the sign-in e-mail through an HTTP e-mail API shaped like Postmark's: POST
// <base_url>/email with the server token in `X-Postmark-Server-Token` and a JSON body of From,
// To, Subject, TextBody, HtmlBody, MessageStream. 200 is sent; 422 (the API's "invalid
// request": a bad address, an inactive recipient) and other 4xx are permanent; 401/403 are
// permanent too (a wrong token does not heal by retrying); 429 and 5xx are retried.

#include <chrono>
#include <string>

#include "linkgate/sdk/sdk.h"

namespace postmark {

struct Settings {
  std::string base_url;  // the values and their defaults come from the key table in plugin.cpp
  std::string server_token;
  std::string from;
  std::string message_stream;
  std::chrono::milliseconds timeout{0};
};

class PostmarkChannel final : public linkgate::sdk::DeliveryChannel {
 public:
  PostmarkChannel(Settings settings, linkgate::sdk::HostServices& host);
  linkgate::sdk::Result<void> send(const linkgate::sdk::Message& message) override;
  linkgate::sdk::Result<void> ready() override;

 private:
  Settings settings_;
  linkgate::sdk::HostServices& host_;
};

/// The API request body for @p message.
std::string email_json(const Settings& settings, const linkgate::sdk::Message& message);

}  // namespace postmark
