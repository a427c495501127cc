#include "smtp_channel.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;
namespace smtp = linkgate::plugins::smtp;

constexpr ConfigKey kConfigKeys[] = {
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
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  using linkgate::sdk::ErrorCode;
  using linkgate::sdk::fail;
  const auto& c = context.config;
  smtp::SmtpSettings s;
  s.host = c.get_string("host").value_or("");
  s.port = static_cast<int>(c.get_int("port").value());
  const std::string tls = c.get_string("tls").value();
  if (tls == "starttls") {
    s.tls = smtp::TlsMode::starttls;
  } else if (tls == "implicit") {
    s.tls = smtp::TlsMode::implicit;
  } else if (tls == "none") {
    s.tls = smtp::TlsMode::none;
  } else {
    return fail(ErrorCode::invalid,
                c.path() + ".tls: expected starttls | implicit | none, got \"" + tls + "\"");
  }
  s.username = c.get_string("username").value();
  s.password = c.get_string("password").value();
  s.auth = c.get_string("auth").value();
  auto from = smtp::parse_mailbox(c.get_string("from").value_or(""));
  if (!from)
    return fail(ErrorCode::invalid, c.path() + ".from: expected an address or \"Name <address>\"");
  s.from = *from;
  s.timeout = c.get_duration("timeout").value();
  s.ca_file = c.get_string("ca_file").value();
  if (!s.ca_file.empty()) s.ca_file = c.resolve_path(s.ca_file);
  s.verify_certificate = c.get_bool("verify_certificate").value();
  s.allow_plaintext = c.get_bool("allow_plaintext").value();
  s.helo_name = c.get_string("helo_name").value();
  if (auto problem = smtp::settings_problem(s); !problem.empty()) {
    return fail(ErrorCode::invalid, c.path() + ": " + problem);
  }
  return linkgate::sdk::make_instance(std::make_unique<smtp::SmtpChannel>(s, context.host));
}

}  // namespace

LINKGATE_PLUGIN(delivery_channel, "smtp", "1.0.0",
                "E-mail over SMTP: STARTTLS or implicit TLS, AUTH LOGIN/PLAIN, text + HTML",
                kConfigKeys, create)
