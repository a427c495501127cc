#include "config/settings_loader.h"

#include <fstream>
#include <regex>
#include <sstream>

#include "config/data_paths.h"
#include "config/yaml_reader.h"

namespace linkgate::config {
namespace {

// Deep enough for every key the core reads (`delivery[1].config.port`); a hostile file nested
// thousands deep costs nothing more.
constexpr int kDeepestRecordedKey = 4;

void record_lines(const YAML::Node& node, const std::string& path,
                  std::map<std::string, int>& lines, int depth = 1) {
  if (depth > kDeepestRecordedKey) return;
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key_node = it->first;  // copies: the iterator hands out a temporary
      const YAML::Node value = it->second;
      const std::string key = key_node.Scalar();
      const std::string child = path.empty() ? key : path + "." + key;
      lines.emplace(child, line_of(key_node));
      record_lines(value, child, lines, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string child = path + "[" + std::to_string(i) + "]";
      lines.emplace(child, line_of(node[i]));
      record_lines(node[i], child, lines, depth + 1);
    }
  }
}

std::optional<ListenAddress> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = parse_integer(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return std::nullopt;
  return ListenAddress{host, static_cast<std::uint16_t>(*port)};
}

std::string one_of(MapReader& r, const std::string& key, const std::string& fallback,
                   const std::vector<std::string>& allowed) {
  std::string v = r.string(key, fallback);
  for (const auto& a : allowed) {
    if (v == a) return v;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
  r.diagnostics().add(r.path_of(key), "expected " + list + ", got \"" + v + "\"",
                      r.line_of_key(key));
  return fallback;
}

// Reads `plugin:` and `config:` (and whatever else the caller declares) of one plugin use.
void read_plugin_use(MapReader& r, sdk::PluginKind kind, PluginUse& use) {
  use.kind = kind;
  use.line = r.line();
  auto name = r.optional_string("plugin");
  if (!name || name->empty()) {
    r.diagnostics().add(r.path_of("plugin"), "required: name the plugin", r.line());
  } else {
    use.name = *name;
  }
  // Delivery runs in the outbox workers, where a slow gateway delays only messages.
  const Duration default_timeout(kind == sdk::PluginKind::delivery_channel ? 30'000 : 10'000);
  use.call_timeout = r.duration("call_timeout", default_timeout);
  // 0s: on the request's own thread. Not for delivery, whose sends leave the process.
  const bool on_callers_thread =
      use.call_timeout.count() == 0 && kind != sdk::PluginKind::delivery_channel;
  if (!on_callers_thread &&
      (use.call_timeout.count() < 100 || use.call_timeout.count() > 600'000)) {
    r.diagnostics().add(r.path_of("call_timeout"),
                        kind == sdk::PluginKind::delivery_channel
                            ? "must be between 100ms and 10m"
                            : "must be 0s (on the request's thread) or between 100ms and 10m",
                        r.line_of_key("call_timeout"));
  }
  use.config = r.raw("config");
  use.path = r.path_of("config");
  if (use.config.IsDefined() && !use.config.IsNull() && !use.config.IsMap()) {
    r.diagnostics().add(use.path, std::string("expected a mapping, got ") + shape_of(use.config),
                        line_of(use.config));
  }
}

void read_server(MapReader r, Settings::Server& s) {
  for (const auto& text : r.strings("listen", {"127.0.0.1:8080"})) {
    auto address = parse_listen(text);
    if (!address) {
      r.diagnostics().add(r.path_of("listen"), "expected host:port, got \"" + text + "\"",
                          r.line_of_key("listen"));
    } else {
      s.listen.push_back(*address);
    }
  }
  s.public_base_url = r.string("public_base_url", "");
  if (s.public_base_url.empty() && !s.listen.empty()) {
    s.public_base_url =
        "http://" + s.listen.front().host + ":" + std::to_string(s.listen.front().port);
  }
  static const std::regex kBaseUrl(R"(^https?://[^/\s?#]+(/[^\s?#]*)?$)");
  if (!std::regex_match(s.public_base_url, kBaseUrl)) {
    r.diagnostics().add(
        r.path_of("public_base_url"),
        "expected an http:// or https:// URL without query, got \"" + s.public_base_url + "\"",
        r.line_of_key("public_base_url"));
  }
  while (!s.public_base_url.empty() && s.public_base_url.back() == '/')
    s.public_base_url.pop_back();
  auto tls = r.map("tls");
  s.tls_cert_file = tls.string("cert_file", "");
  s.tls_key_file = tls.string("key_file", "");
  if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
    r.diagnostics().add(tls.path(), "cert_file and key_file go together", tls.line());
  }
  tls.finish();
  auto admin = r.map("admin");
  for (const auto& text : admin.strings("listen", {})) {
    if (auto address = parse_listen(text)) {
      s.admin.listen.push_back(*address);
    } else {
      r.diagnostics().add(admin.path_of("listen"), "expected host:port, got \"" + text + "\"",
                          admin.line_of_key("listen"));
    }
  }
  s.admin.token = admin.string("token", "");
  s.admin.token_file = admin.string("token_file", "");
  if (!s.admin.token.empty() && !s.admin.token_file.empty()) {
    r.diagnostics().add(admin.path(), "token and token_file: give one", admin.line());
  } else if (!s.admin.token.empty() && s.admin.token.size() < 16) {
    r.diagnostics().add(admin.path_of("token"), "too short: use at least 16 characters",
                        admin.line_of_key("token"));
  }
  admin.finish();
  if (r.has("threads") && r.string("threads", "") == "auto") {
    s.threads = 0;
  } else {
    s.threads = static_cast<int>(r.integer("threads", s.threads, 1, 1024));
  }
  if (r.has("running_threads") && r.string("running_threads", "") == "auto") {
    s.running_threads = 0;
  } else {
    s.running_threads = static_cast<int>(r.integer("running_threads", s.running_threads, 1, 1024));
  }
  s.max_body_bytes = r.integer("max_body_bytes", s.max_body_bytes, 256, 64LL << 20);
  s.max_header_bytes = r.integer("max_header_bytes", s.max_header_bytes, 1024, 1LL << 20);
  s.max_connections = r.integer("max_connections", s.max_connections, 1, 1'000'000);
  s.max_connections_per_client =
      r.integer("max_connections_per_client", s.max_connections_per_client, 1, 1'000'000);
  s.header_timeout = r.duration("header_timeout", s.header_timeout);
  s.request_timeout = r.duration("request_timeout", s.request_timeout);
  s.keep_alive_timeout = r.duration("keep_alive_timeout", s.keep_alive_timeout);
  s.shutdown_timeout = r.duration("shutdown_timeout", s.shutdown_timeout);
  s.trusted_proxies = r.strings("trusted_proxies", {});
  for (const auto& text : s.trusted_proxies) {
    if (auto range = parse_address_range(text)) {
      s.trusted_proxy_ranges.push_back(*range);
    } else {
      r.diagnostics().add(r.path_of("trusted_proxies"),
                          "expected an IP address or a CIDR range, got \"" + text + "\"",
                          r.line_of_key("trusted_proxies"));
    }
  }
  s.pid_file = r.string("pid_file", s.pid_file);
  s.forwarded_header = r.string("forwarded_header", s.forwarded_header);
  if (s.forwarded_header != "x-forwarded-for" && s.forwarded_header != "forwarded") {
    r.diagnostics().add(r.path_of("forwarded_header"),
                        "expected x-forwarded-for or forwarded, got \"" + s.forwarded_header + "\"",
                        r.line_of_key("forwarded_header"));
  }
  r.finish();
}

void read_delivery(MapReader& root, Settings& settings) {
  YAML::Node list = root.raw("delivery");
  if (!list.IsDefined() || list.IsNull()) {
    root.diagnostics().add("delivery", "required: at least one delivery channel", root.line());
    return;
  }
  if (!list.IsSequence()) {
    root.diagnostics().add("delivery", std::string("expected a list, got ") + shape_of(list),
                           line_of(list));
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    MapReader entry(list[i], "delivery[" + std::to_string(i) + "]", root.diagnostics(), root.env(),
                    line_of(list));
    DeliveryUse use;
    read_plugin_use(entry, sdk::PluginKind::delivery_channel, use);
    std::string for_kind = one_of(entry, "for", "email", {"email", "phone"});
    use.address_kind = for_kind == "phone" ? sdk::AddressKind::phone : sdk::AddressKind::email;
    use.concurrency = static_cast<int>(entry.integer("concurrency", use.concurrency, 1, 256));
    entry.finish();
    settings.delivery.push_back(std::move(use));
  }
}

void read_rest(MapReader& root, Settings& s) {
  {
    auto r = root.map("plugins");
    s.plugin_search_paths =
        r.strings("search_paths", {"build/plugins", "/usr/lib/linkgate/plugins"});
    r.finish();
  }
  {
    auto r = root.map("token");
    if (!root.has("token"))
      root.diagnostics().add("token", "required: the token strategy", root.line());
    read_plugin_use(r, sdk::PluginKind::token_strategy, s.token);
    s.token_ttl = r.duration("ttl", s.token_ttl);
    if (s.token_ttl.count() < 60'000 || s.token_ttl.count() > 86'400'000) {
      root.diagnostics().add("token.ttl", "must be between 1m and 1d", r.line_of_key("ttl"));
    }
    r.finish();
  }
  read_delivery(root, s);
  {
    auto r = root.map("users");
    if (!root.has("users"))
      root.diagnostics().add("users", "required: the user store", root.line());
    read_plugin_use(r, sdk::PluginKind::user_store, s.users);
    s.signup = r.boolean("signup", s.signup);
    r.finish();
  }
  {
    auto r = root.map("session");
    s.session.ttl = r.duration("ttl", s.session.ttl);
    s.session.audience = r.string("audience", s.session.audience);
    auto keys = r.map("signing_keys");
    s.session.keys_dir = keys.string("dir", s.session.keys_dir);
    s.session.rotate_every = keys.duration("rotate_every", s.session.rotate_every);
    keys.finish();
    auto cookie = r.map("cookie");
    s.session.cookie_name = cookie.string("name", s.session.cookie_name);
    static const std::regex kToken(R"(^[A-Za-z0-9_\-]{1,64}$)");
    if (!std::regex_match(s.session.cookie_name, kToken)) {
      root.diagnostics().add(cookie.path_of("name"), "letters, digits, _ and - only",
                             cookie.line_of_key("name"));
    }
    // `true`/`false` are accepted as spellings of always/never.
    std::string secure = cookie.string("secure", s.session.cookie_secure);
    if (secure == "true" || secure == "always") {
      s.session.cookie_secure = "always";
    } else if (secure == "false" || secure == "never") {
      s.session.cookie_secure = "never";
    } else if (secure == "auto") {
      s.session.cookie_secure = "auto";
    } else {
      root.diagnostics().add(cookie.path_of("secure"),
                             "expected auto | true | false, got \"" + secure + "\"",
                             cookie.line_of_key("secure"));
    }
    s.session.cookie_domain = cookie.string("domain", "");
    cookie.finish();
    r.finish();
  }
  {
    auto r = root.map("otp");
    s.otp.length = static_cast<int>(r.integer("length", s.otp.length, 6, 10));
    s.otp.max_attempts = static_cast<int>(r.integer("max_attempts", s.otp.max_attempts, 1, 20));
    r.finish();
  }
  {
    auto r = root.map("verify");
    s.verify.confirm_page = r.boolean("confirm_page", s.verify.confirm_page);
    s.verify.supersede_previous = r.boolean("supersede_previous", s.verify.supersede_previous);
    s.verify.require_same_browser =
        r.boolean("require_same_browser", s.verify.require_same_browser);
    r.finish();
  }
  {
    auto r = root.map("security");
    s.security.redirect_allowlist = r.strings("redirect_allowlist", {});
    auto limits = r.map("rate_limits");
    s.security.per_identifier = limits.rate("per_identifier", s.security.per_identifier);
    s.security.per_client = limits.rate("per_client", s.security.per_client);
    s.security.resend_cooldown = limits.duration("resend_cooldown", s.security.resend_cooldown);
    s.security.sms_budget = limits.rate("sms_budget", s.security.sms_budget);
    s.security.wrong_codes = limits.rate("wrong_codes", s.security.wrong_codes);
    limits.finish();
    s.security.notify_unknown = r.boolean("notify_unknown", s.security.notify_unknown);
    s.security.store = r.string("store", s.security.store);
    if (s.security.store != "memory" && s.security.store.rfind("redis://", 0) != 0 &&
        s.security.store.rfind("rediss://", 0) != 0) {
      root.diagnostics().add("security.store",
                             "expected memory, redis://host:port or rediss://host:port, got \"" +
                                 s.security.store.substr(0, s.security.store.find("://")) + "...\"",
                             r.line_of_key("store"));
    }
    s.security.secret_file = r.string("secret_file", s.security.secret_file);
    r.finish();
  }
  {
    auto r = root.map("outbox");
    s.outbox.store = r.string("store", s.outbox.store);
    if (s.outbox.store.rfind("sqlite:", 0) != 0 && s.outbox.store.rfind("postgresql://", 0) != 0) {
      root.diagnostics().add(
          "outbox.store",
          "expected sqlite:PATH or postgresql://..., got \"" + s.outbox.store + "\"",
          r.line_of_key("store"));
    }
    auto retry = r.map("retry");
    s.outbox.attempts = static_cast<int>(retry.integer("attempts", s.outbox.attempts, 1, 100));
    s.outbox.backoff = retry.backoff("backoff", s.outbox.backoff);
    retry.finish();
    if (r.has("workers") && r.string("workers", "") == "auto") {
      s.outbox.workers = 0;
    } else {
      s.outbox.workers = static_cast<int>(r.integer("workers", s.outbox.workers, 1, 512));
    }
    s.outbox.poll_interval = r.duration("poll_interval", s.outbox.poll_interval);
    s.outbox.lease = r.duration("lease", s.outbox.lease);
    if (s.outbox.lease.count() < 1000) {
      root.diagnostics().add("outbox.lease", "must be at least 1s", r.line_of_key("lease"));
    }
    s.outbox.retention = r.duration("retention", s.outbox.retention);
    if (s.outbox.retention.count() < 1000) {
      root.diagnostics().add("outbox.retention", "must be at least 1s", r.line_of_key("retention"));
    }
    r.finish();
  }
  {
    auto r = root.map("templates");
    s.templates.dir = r.string("dir", s.templates.dir);
    s.templates.locale_default = r.string("locale_default", s.templates.locale_default);
    r.finish();
  }
  {
    auto r = root.map("branding");
    s.branding.title = r.string("title", s.branding.title);
    s.branding.accent = r.string("accent", s.branding.accent);
    static const std::regex kColour(R"(^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$)");
    if (!std::regex_match(s.branding.accent, kColour)) {
      root.diagnostics().add("branding.accent", "expected a #rgb or #rrggbb colour",
                             r.line_of_key("accent"));
    }
    s.branding.logo_url = r.string("logo_url", s.branding.logo_url);
    if (!s.branding.logo_url.empty() && s.branding.logo_url.rfind("https://", 0) != 0 &&
        s.branding.logo_url.rfind("/", 0) != 0) {
      root.diagnostics().add("branding.logo_url", "expected an https:// URL or a path",
                             r.line_of_key("logo_url"));
    }
    s.branding.app_name = r.string("app_name", s.branding.app_name);
    r.finish();
  }
  {
    auto r = root.map("log");
    s.log.level = one_of(r, "level", s.log.level, {"debug", "info", "warning", "error"});
    s.log.format = one_of(r, "format", s.log.format, {"json", "text"});
    s.log.audit_file = r.string("audit_file", s.log.audit_file);
    s.log.access = r.boolean("access", s.log.access);
    r.finish();
  }
}

}  // namespace

std::optional<Settings> read_settings_best_effort(const std::string& yaml, const std::string& name,
                                                  Diagnostics& diagnostics, const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    diagnostics.add(name, "not valid YAML: " + e.msg, e.mark.line >= 0 ? e.mark.line + 1 : 0);
    return std::nullopt;
  }
  if (!root.IsMap()) {
    diagnostics.add(name, std::string("expected a mapping at the top, got ") + shape_of(root), 1);
    return std::nullopt;
  }
  Settings settings;
  settings.file = name;
  MapReader reader(root, "", diagnostics, env);
  read_server(reader.map("server"), settings.server);
  read_rest(reader, settings);
  if (reader.has("data_dir")) {
    const std::string written = reader.string("data_dir", "");
    if (written.empty()) {
      diagnostics.add("data_dir", "must name a folder", reader.line_of_key("data_dir"));
    } else {
      settings.data_dir = absolute_data_dir(written, name);
      resolve_data_paths(settings);
    }
  }
  reader.finish();
  record_lines(root, "", settings.lines);
  return settings;
}

std::optional<Settings> load_settings_text(const std::string& yaml, const std::string& name,
                                           Diagnostics& diagnostics, const EnvLookup& env) {
  auto settings = read_settings_best_effort(yaml, name, diagnostics, env);
  if (!diagnostics.ok()) return std::nullopt;
  return settings;
}

std::optional<std::string> read_config_file(const std::string& file, Diagnostics& diagnostics) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diagnostics.add(file, "cannot read the file", 0);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<Settings> load_settings_file(const std::string& file, Diagnostics& diagnostics,
                                           const EnvLookup& env) {
  auto text = read_config_file(file, diagnostics);
  if (!text) return std::nullopt;
  return load_settings_text(*text, file, diagnostics, env);
}

}  // namespace linkgate::config
