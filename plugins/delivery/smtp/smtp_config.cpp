#include "smtp_config.h"

#include "linkgate/config/plugin_block.h"

namespace linkgate::plugins::smtp {

using sdk::ConfigType;

const std::array<sdk::ConfigKey, 14> kConfigKeys{{
    {"host", ConfigType::string, nullptr, true, "The SMTP server."},
    {"port", ConfigType::integer, "587", false, "587 for STARTTLS, 465 for implicit TLS."},
    {"tls", ConfigType::string, "starttls", false,
     "starttls | implicit | none (none: loopback only)."},
    {"username", ConfigType::string, "", false, "AUTH user name; empty = no AUTH."},
    {"password", ConfigType::secret, "", false, "AUTH password."},
    {"auth", ConfigType::string, "login", false, "AUTH mechanism: login | plain."},
    {"from", ConfigType::string, nullptr, true, "Sender, e.g. \"Example <no-reply@example.com>\"."},
    {"timeout", ConfigType::duration, "10s", false, "Connect, send and receive timeout, each."},
    {"ca_file", ConfigType::string, "", false,
     "PEM CA bundle for a private CA; empty = system CAs."},
    {"verify_certificate", ConfigType::boolean, "true", false,
     "Check the server certificate and host name."},
    {"allow_plaintext", ConfigType::boolean, "false", false,
     "Allow tls: none to a host that is not loopback (mail and passwords in the clear)."},
    {"helo_name", ConfigType::string, "localhost", false, "The name sent in EHLO."},
    {"keep_alive", ConfigType::duration, "30s", false,
     "How long an idle connection is kept for the next message; 0s: a connection per message."},
    {"messages_per_connection", ConfigType::integer, "100", false,
     "Messages sent on one connection before it is closed and a new one opened (1-10000)."},
}};

sdk::Result<SmtpSettings> read_settings(const sdk::ConfigView& c) {
  SmtpSettings s;
  s.host = c.get_string("host").value_or("");
  s.port = static_cast<int>(c.get_int("port").value());
  const std::string tls = c.get_string("tls").value();
  if (tls == "starttls") {
    s.tls = TlsMode::starttls;
  } else if (tls == "implicit") {
    s.tls = TlsMode::implicit;
  } else if (tls == "none") {
    s.tls = TlsMode::none;
  } else {
    return sdk::fail(sdk::ErrorCode::invalid,
                     c.path() + ".tls: expected starttls | implicit | none, got \"" + tls + "\"");
  }
  s.username = c.get_string("username").value();
  s.password = c.get_string("password").value();
  s.auth = c.get_string("auth").value();
  auto from = parse_mailbox(c.get_string("from").value_or(""));
  if (!from)
    return sdk::fail(sdk::ErrorCode::invalid,
                     c.path() + ".from: expected an address or \"Name <address>\"");
  s.from = *from;
  s.timeout = c.get_duration("timeout").value();
  s.ca_file = c.get_string("ca_file").value();
  if (!s.ca_file.empty()) s.ca_file = c.resolve_path(s.ca_file);
  s.verify_certificate = c.get_bool("verify_certificate").value();
  s.allow_plaintext = c.get_bool("allow_plaintext").value();
  s.helo_name = c.get_string("helo_name").value();
  s.keep_alive = c.get_duration("keep_alive").value();
  const auto per_connection = c.get_int("messages_per_connection").value();
  if (per_connection < 1 || per_connection > 10'000) {
    return sdk::fail(sdk::ErrorCode::invalid,
                     c.path() + ".messages_per_connection: expected 1 to 10000");
  }
  s.messages_per_connection = static_cast<int>(per_connection);
  if (auto problem = settings_problem(s); !problem.empty()) {
    return sdk::fail(sdk::ErrorCode::invalid, c.path() + ": " + problem);
  }
  return s;
}

SmtpSettings settings_with(const std::map<std::string, std::string>& written) {
  return plugin_block::settings_from("smtp", kConfigKeys, written, read_settings);
}

}  // namespace linkgate::plugins::smtp
