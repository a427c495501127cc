#include "smtp_channel.h"

#include <Poco/Net/DNS.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <Poco/Base64Encoder.h>

#include <regex>
#include <sstream>
#include <stdexcept>

#include "util/crypto.h"

namespace linkgate::plugins::smtp {
namespace {

// STARTTLS with the configured host name for certificate checks. (Poco's own
// SecureSMTPClientSession, when built on a socket connected with a timeout, checks the peer's
// IP address instead, which no real server certificate names.)
class Session final : public Poco::Net::SMTPClientSession {
 public:
  explicit Session(const Poco::Net::StreamSocket& socket) : SMTPClientSession(socket) {}
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
             2, response);
      return;
    }
    expect(sendCommand("AUTH LOGIN", response), 3, response);
    expect(sendCommand(base64(user), response), 3, response);
    expect(sendCommand(base64(password), response), 2, response);
  }

  void start_tls(const std::string& host, Poco::Net::Context::Ptr context) {
    std::string response;
    int status = sendCommand("STARTTLS", response);
    if (!isPositiveCompletion(status)) {
      throw Poco::Net::SMTPException("the server refused STARTTLS", response, status);
    }
    socket() = Poco::Net::SecureStreamSocket::attach(socket(), host, context);
  }

 private:
  static void expect(int status, int first_digit, const std::string& response) {
    if (status / 100 != first_digit)
      throw Poco::Net::SMTPException("authentication failed", response, status);
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

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  try {
    return Poco::Net::IPAddress(host).isLoopback();
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::string settings_problem(const SmtpSettings& s) {
  if (s.host.empty()) return "host is empty";
  if (s.port < 1 || s.port > 65535) return "port must be 1 to 65535";
  if (s.auth != "login" && s.auth != "plain") return "auth must be login or plain";
  const bool plain = s.tls == TlsMode::none;
  if (plain && !is_loopback_host(s.host) && !s.allow_plaintext) {
    return "tls: none sends mail (and passwords) in the clear; allowed only to a loopback host "
           "unless "
           "allow_plaintext: true";
  }
  if (s.username.empty() != s.password.empty()) return "username and password go together";
  return "";
}

sdk::ErrorCode classify_failure(const std::string& text) {
  static const std::regex kReply(R"((^|[^0-9])([245])[0-9][0-9]([ -]|$))");
  std::smatch m;
  if (std::regex_search(text, m, kReply) && m[2] == "5") return sdk::ErrorCode::permanent;
  return sdk::ErrorCode::retryable;
}

SmtpChannel::SmtpChannel(SmtpSettings settings, sdk::HostServices& host)
    : settings_(std::move(settings)), host_(host) {
  if (settings_.tls == TlsMode::none) return;
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.verificationMode = settings_.verify_certificate ? Poco::Net::Context::VERIFY_STRICT
                                                         : Poco::Net::Context::VERIFY_NONE;
  params.caLocation = settings_.ca_file;
  params.loadDefaultCAs = settings_.ca_file.empty();
  params.cipherList = "HIGH:!aNULL:!MD5:!RC4:!3DES";
  try {
    context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // This context's own answer to a certificate that does not verify: refuse. Nothing
    // process-wide is configured, so no other TLS user depends on this plugin being loaded.
    context_->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("TLS set-up failed (ca_file " + settings_.ca_file +
                             "): " + e.displayText());
  }
}

sdk::Result<void> SmtpChannel::send(const sdk::Message& message) {
  if (auto problem = header_problem(message); !problem.empty()) {
    return sdk::fail(sdk::ErrorCode::invalid, problem);
  }
  Poco::Net::MailMessage mail;
  compose(message, settings_.from, util::to_hex(host_.random().bytes(16)), mail);

  const Poco::Timespan timeout(
      std::chrono::duration_cast<std::chrono::microseconds>(settings_.timeout).count());
  try {
    Poco::Net::SocketAddress address(settings_.host, static_cast<Poco::UInt16>(settings_.port));
    Poco::Net::StreamSocket socket;
    if (settings_.tls == TlsMode::implicit) {
      Poco::Net::SecureStreamSocket secure(context_);
      secure.setPeerHostName(settings_.host);
      secure.connect(address, timeout);
      socket = secure;
    } else {
      socket.connect(address, timeout);
    }
    socket.setReceiveTimeout(timeout);
    socket.setSendTimeout(timeout);
    Session session(socket);
    session.setTimeout(timeout);
    std::string extensions = session.ehlo(settings_.helo_name);
    if (settings_.tls == TlsMode::starttls) {
      session.start_tls(settings_.host, context_);
      extensions = session.ehlo(settings_.helo_name);  // again over TLS, as RFC 3207 requires
    }
    if (!settings_.username.empty()) {
      if (extensions.find("AUTH") == std::string::npos) {
        return sdk::fail(sdk::ErrorCode::retryable,
                         "SMTP " + settings_.host + ": the server offers no AUTH");
      }
      session.authenticate(settings_.auth, settings_.username, settings_.password);
    }
    session.sendMessage(mail);
    session.close();
    host_.metrics().increment("smtp_messages_sent", {});
    return sdk::success();
  } catch (const Poco::Net::SMTPException& e) {
    return sdk::fail(classify_failure(e.displayText()),
                     "SMTP " + settings_.host + ": " + e.displayText());
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::retryable, "SMTP " + settings_.host + ": " + e.displayText());
  }
}

sdk::Result<void> SmtpChannel::ready() {
  if (auto problem = settings_problem(settings_); !problem.empty())
    return sdk::fail(sdk::ErrorCode::unavailable, problem);
  return sdk::success();
}

}  // namespace linkgate::plugins::smtp
