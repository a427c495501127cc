#include "smtp_connection.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <sstream>

namespace linkgate::plugins::smtp {

// STARTTLS with the configured host name for certificate checks. (Poco's own
// SecureSMTPClientSession, when built on a socket connected with a timeout, checks the peer's
// IP address instead, which no real server certificate names.)
class SmtpSession final : public Poco::Net::SMTPClientSession {
 public:
  explicit SmtpSession(const Poco::Net::StreamSocket& socket) : SMTPClientSession(socket) {}

  /// EHLO; returns the server's reply (its extensions).
  std::string ehlo(const std::string& name) {
    std::string response;
    login(name, response);
    return response;
  }

  /// AUTH LOGIN or PLAIN. Poco's own LOGIN silently skips authentication when the server's
  /// prompt is not literally "Username:" (aiosmtpd says "User Name"), and its base64 wraps
  /// long credentials across lines; so both are done here.
  void authenticate(const std::string& mechanism, const std::string& user,
                    const std::string& password) {
    std::string response;
    if (mechanism == "plain") {
      expect(sendCommand("AUTH PLAIN", base64(std::string(1, '\0') + user + '\0' + password),
                         response),
             2, response, "authentication failed");
      return;
    }
    expect(sendCommand("AUTH LOGIN", response), 3, response, "authentication failed");
    expect(sendCommand(base64(user), response), 3, response, "authentication failed");
    expect(sendCommand(base64(password), response), 2, response, "authentication failed");
  }

  void start_tls(const std::string& host, const Poco::Net::Context::Ptr& context) {
    std::string response;
    expect(sendCommand("STARTTLS", response), 2, response, "the server refused STARTTLS");
    socket() = Poco::Net::SecureStreamSocket::attach(socket(), host, context);
  }

  /// RSET's reply code; throws when the connection is gone.
  int rset() {
    std::string response;
    return sendCommand("RSET", response);
  }

 private:
  static void expect(int status, int first_digit, const std::string& response, const char* what) {
    if (status / 100 != first_digit) throw Poco::Net::SMTPException(what, response, status);
  }
  static std::string base64(const std::string& data) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return out.str();
  }
};

SmtpConnection::SmtpConnection(const SmtpSettings& settings,
                               const Poco::Net::Context::Ptr& context) {
  const Poco::Timespan timeout(
      std::chrono::duration_cast<std::chrono::microseconds>(settings.timeout).count());
  Poco::Net::SocketAddress address(settings.host, static_cast<Poco::UInt16>(settings.port));
  Poco::Net::StreamSocket socket;
  if (settings.tls == TlsMode::implicit) {
    Poco::Net::SecureStreamSocket secure(context);
    secure.setPeerHostName(settings.host);
    secure.connect(address, timeout);
    socket = secure;
  } else {
    socket.connect(address, timeout);
  }
  socket.setReceiveTimeout(timeout);
  socket.setSendTimeout(timeout);
  // SMTP is a dialogue of small writes: with Nagle's algorithm, the message's last write waits
  // for the server's delayed ACK (40 ms on Linux) before it leaves.
  socket.setNoDelay(true);
  session_ = std::make_unique<SmtpSession>(socket);
  session_->setTimeout(timeout);
  std::string extensions = session_->ehlo(settings.helo_name);
  if (settings.tls == TlsMode::starttls) {
    session_->start_tls(settings.host, context);
    extensions = session_->ehlo(settings.helo_name);  // again over TLS, as RFC 3207 requires
  }
  if (!settings.username.empty()) {
    if (extensions.find("AUTH") == std::string::npos) {
      throw Poco::Net::SMTPException("the server offers no AUTH");
    }
    session_->authenticate(settings.auth, settings.username, settings.password);
  }
  last_used_ = std::chrono::steady_clock::now();
}

SmtpConnection::~SmtpConnection() = default;

bool SmtpConnection::reset() {
  try {
    return session_->rset() / 100 == 2;
  } catch (const Poco::Exception&) {
    return false;
  }
}

void SmtpConnection::send(const Poco::Net::MailMessage& mail) {
  session_->sendMessage(mail);
  ++messages_sent_;
  last_used_ = std::chrono::steady_clock::now();
}

void SmtpConnection::quit() noexcept {
  try {
    session_->setTimeout(Poco::Timespan(1, 0));
    session_->close();
  } catch (...) {
    // The server went first; the socket closes with the session either way.
  }
}

}  // namespace linkgate::plugins::smtp
