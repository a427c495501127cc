#pragma once
// The smtp delivery channel: STARTTLS / implicit TLS / plain, AUTH LOGIN or PLAIN, certificate
// and host name verified by default; connections kept open and reused for many messages.

#include <Poco/Net/Context.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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
  std::chrono::milliseconds keep_alive{0};  // idle connections older than this are closed
  int messages_per_connection = 1;          // then QUIT and a fresh connection
};

/// Why @p settings are unsafe or unusable, or "" when they are fine.
std::string settings_problem(const SmtpSettings& settings);
/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

class SmtpConnection;

/// Sends each message on an idle connection when one is open (RSET first; a connection the
/// server closed meanwhile is replaced before any of the message is sent), else on a new one;
/// a connection goes back to the idle set after a message unless it carried
/// messages_per_connection, and is closed when it was idle longer than keep_alive or any of its
/// steps failed. Thread safety: send() may run on many threads at once, each on a connection of
/// its own.
class SmtpChannel final : public sdk::DeliveryChannel {
 public:
  /// Throws std::runtime_error when the TLS context cannot be made (e.g. unreadable ca_file).
  SmtpChannel(SmtpSettings settings, sdk::HostServices& host);
  /// QUITs the idle connections.
  ~SmtpChannel() override;

  sdk::Result<void> send(const sdk::Message& message) override;
  sdk::Result<void> ready() override;

 private:
  /// The most recently used idle connection still inside keep_alive, or null; older ones are
  /// closed on the way.
  std::unique_ptr<SmtpConnection> take_idle();
  void give_back(std::unique_ptr<SmtpConnection> connection);

  SmtpSettings settings_;
  sdk::HostServices& host_;
  Poco::Net::Context::Ptr context_;
  std::mutex idle_mutex_;
  std::vector<std::unique_ptr<SmtpConnection>> idle_;  // oldest first
};

/// Maps an SMTP failure to a delivery outcome: a 5xx reply is permanent, everything else
/// (4xx, timeouts, refused connections, TLS trouble) is retryable.
sdk::ErrorCode classify_failure(const std::string& error_text);

}  // namespace linkgate::plugins::smtp
