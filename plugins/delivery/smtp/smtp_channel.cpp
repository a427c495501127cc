#include "smtp_channel.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>

#include <regex>
#include <stdexcept>

#include "smtp_connection.h"

#include "util/crypto.h"

namespace linkgate::plugins::smtp {
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

SmtpChannel::~SmtpChannel() {
  for (auto& connection : idle_) connection->quit();
}

std::unique_ptr<SmtpConnection> SmtpChannel::take_idle() {
  std::vector<std::unique_ptr<SmtpConnection>> stale;
  std::unique_ptr<SmtpConnection> fresh;
  {
    std::lock_guard lock(idle_mutex_);
    const auto oldest_kept = std::chrono::steady_clock::now() - settings_.keep_alive;
    while (!idle_.empty() && idle_.front()->last_used() < oldest_kept) {
      stale.push_back(std::move(idle_.front()));
      idle_.erase(idle_.begin());
    }
    if (!idle_.empty()) {
      fresh = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  for (auto& connection : stale) connection->quit();  // outside the lock: QUIT waits for a reply
  return fresh;
}

void SmtpChannel::give_back(std::unique_ptr<SmtpConnection> connection) {
  if (settings_.keep_alive.count() > 0 &&
      connection->messages_sent() < settings_.messages_per_connection) {
    std::lock_guard lock(idle_mutex_);
    idle_.push_back(std::move(connection));
    return;
  }
  connection->quit();
}

sdk::Result<void> SmtpChannel::send(const sdk::Message& message) {
  if (auto problem = header_problem(message); !problem.empty()) {
    return sdk::fail(sdk::ErrorCode::invalid, problem);
  }
  Poco::Net::MailMessage mail;
  compose(message, settings_.from, util::to_hex(host_.random().bytes(16)), mail);
  try {
    auto connection = take_idle();
    if (connection && !connection->reset()) connection.reset();  // closed by the server: a new one
    if (!connection) {
      connection = std::make_unique<SmtpConnection>(settings_, context_);
      host_.metrics().increment("smtp_connections_opened", {});
    }
    // A failure below drops the connection (its state is unknown); the outbox retries the
    // message, on a fresh one.
    connection->send(mail);
    give_back(std::move(connection));
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
