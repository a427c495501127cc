#pragma once
// The smtp delivery channel: one connection per message, STARTTLS / implicit TLS / plain,
// AUTH LOGIN or PLAIN, certificate and host name verified by default.

#include <Poco/Net/Context.h>

#include <chrono>
#include <string>

#include "linkgate/sdk/sdk.h"
#include "mail_composer.h"

namespace linkgate::plugins::smtp {

enum class TlsMode { starttls, implicit, none };

/// What the channel runs with; the values and their defaults come from the key table in
/// smtp_config.cpp.
struct SmtpSettings {
  std::string host;
  int port = 0;
  TlsMode tls = TlsMode::starttls;
  std::string username;
  std::string password;
  std::string auth;  // login | plain
  Mailbox from;
  std::chrono::milliseconds timeout{0};
  std::string ca_file;  // private CA; empty = the system's CAs
  bool verify_certificate = false;
  bool allow_plaintext = false;  // tls: none (or AUTH without TLS) to a host that is not loopback
  std::string helo_name;
};

/// Why @p settings are unsafe or unusable, or "" when they are fine.
std::string settings_problem(const SmtpSettings& settings);
/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

class SmtpChannel final : public sdk::DeliveryChannel {
 public:
  /// Throws std::runtime_error when the TLS context cannot be made (e.g. unreadable ca_file).
  SmtpChannel(SmtpSettings settings, sdk::HostServices& host);

  sdk::Result<void> send(const sdk::Message& message) override;
  sdk::Result<void> ready() override;

 private:
  SmtpSettings settings_;
  sdk::HostServices& host_;
  Poco::Net::Context::Ptr context_;
};

/// Maps an SMTP failure to a delivery outcome: a 5xx reply is permanent, everything else
/// (4xx, timeouts, refused connections, TLS trouble) is retryable.
sdk::ErrorCode classify_failure(const std::string& error_text);

}  // namespace linkgate::plugins::smtp
