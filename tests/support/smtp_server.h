#pragma once
// A real SMTP server (tests/tools/smtp_server.py, aiosmtpd) for one test, and what it received.

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace linkgate::testing {

class SmtpServer {
 public:
  /// @p args: extra flags for smtp_server.py (`--tls starttls`, `--user u --password p`, ...).
  /// With @p port 0 the server picks a free port.
  SmtpServer(const TempDir& dir, std::vector<std::string> args = {}, std::uint16_t port = 0);

  [[nodiscard]] std::uint16_t port() const { return process_.port(); }
  [[nodiscard]] std::string ca_file() const { return cert_dir_ + "/ca.pem"; }
  /// Messages received so far.
  [[nodiscard]] std::size_t count() const;
  /// Message @p n (1-based), parsed by Python's email package; waits up to @p seconds for it.
  Poco::JSON::Object::Ptr message(int n = 1, int seconds = 10) const;
  /// The envelope of message @p n: mail_from, rcpt_tos, tls, auth.
  Poco::JSON::Object::Ptr envelope(int n = 1) const;
  void stop() { process_.stop(); }

 private:
  std::string eml(int n) const;
  std::string maildir_;
  std::string cert_dir_;
  ChildProcess process_;
};

/// The text/plain body of a parsed message ("" if none).
std::string text_part(const Poco::JSON::Object::Ptr& message);

}  // namespace linkgate::testing
