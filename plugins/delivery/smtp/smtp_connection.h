#pragma once
// One SMTP connection, greeted and (as configured) encrypted and authenticated, that carries one
// message after another: the channel keeps a few open, as a mail server's own queue does.

#include <Poco/Net/Context.h>
#include <Poco/Net/MailMessage.h>

#include <chrono>
#include <memory>

#include "smtp_channel.h"

namespace linkgate::plugins::smtp {

class SmtpSession;

class SmtpConnection {
 public:
  /// Connects, EHLO, STARTTLS and EHLO again (or implicit TLS), AUTH — each as @p settings say.
  /// Throws Poco::Net::SMTPException with the server's reply when it refuses a step, another
  /// Poco::Exception when the network or TLS fails.
  SmtpConnection(const SmtpSettings& settings, const Poco::Net::Context::Ptr& context);
  ~SmtpConnection();
  SmtpConnection(const SmtpConnection&) = delete;
  SmtpConnection& operator=(const SmtpConnection&) = delete;

  /// RSET before the next message: false when the connection no longer answers (the server
  /// closed it, e.g. after its idle timeout), so a fresh one must be opened. Sends nothing of a
  /// message, so trying again elsewhere is safe.
  bool reset();
  /// One transaction: MAIL FROM, RCPT TO, DATA. Throws as the constructor does.
  void send(const Poco::Net::MailMessage& mail);
  /// QUIT and close, waiting at most a second for the reply. Never throws.
  void quit() noexcept;

  [[nodiscard]] int messages_sent() const { return messages_sent_; }
  [[nodiscard]] std::chrono::steady_clock::time_point last_used() const { return last_used_; }

 private:
  std::unique_ptr<SmtpSession> session_;
  int messages_sent_ = 0;
  std::chrono::steady_clock::time_point last_used_;
};

}  // namespace linkgate::plugins::smtp
