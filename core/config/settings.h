#pragma once
// The whole validated configuration of a deployment, as typed values.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/address_range.h"
#include "config/duration.h"
#include "linkgate/sdk/plugin.h"
#include "linkgate/sdk/types.h"

namespace linkgate::config {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;  // 0: the OS picks (tests)
};

/// One `plugin:` use: which plugin, and its still-unvalidated `config:` block. The block is
/// checked against the plugin's declared keys once the plugin is loaded.
struct PluginUse {
  sdk::PluginKind kind = sdk::PluginKind::token_strategy;
  std::string name;
  YAML::Node config;
  std::string path;  // YAML path of the `config:` block, e.g. "delivery[1].config"
  int line = 0;      // line of the `plugin:` entry
  // What the plugin's relative paths resolve against (ConfigView::resolve_path): `data_dir`,
  // or empty for the working directory.
  std::string base_dir;
  // How long the core waits for one call into the plugin (`call_timeout`, next to `plugin:`);
  // 0 (token and users only): the call runs on the request's thread, with no deadline.
  Duration call_timeout{10'000};
};

struct DeliveryUse : PluginUse {
  sdk::AddressKind address_kind = sdk::AddressKind::email;  // `for:`
  // `concurrency:`, sends in flight on this channel at most. The default keeps a relay that
  // spends 20 ms per message at ~360 messages/s (docs/performance.md) and stays under common
  // per-client connection limits (Postfix's default is 20).
  int concurrency = 16;
};

struct Settings {
  std::string file;  // where it was read from
  /// `data_dir`, made absolute (a relative one is taken from the config file's folder). Every
  /// relative path in the file — core and plugin — has been resolved against it. Empty when not
  /// set: relative paths stay relative to the working directory.
  std::string data_dir;
  /// The line of each key written in the file, by YAML path (`outbox.store`, `delivery[1]`),
  /// for messages about values that only fail when used.
  std::map<std::string, int> lines;
  [[nodiscard]] int line_of(const std::string& path) const {
    auto it = lines.find(path);
    return it == lines.end() ? 0 : it->second;
  }

  struct Server {
    std::vector<ListenAddress> listen;
    std::string public_base_url;
    std::string tls_cert_file;
    std::string tls_key_file;
    int threads = 0;          // workers; 0: auto (server::worker_count)
    int running_threads = 0;  // of them, running requests at once; 0: auto (two per core)
    std::int64_t max_body_bytes = 16384;
    std::int64_t max_header_bytes = 65536;
    std::int64_t max_connections = 10'000;
    std::int64_t max_connections_per_client = 256;
    Duration header_timeout{10'000};
    Duration request_timeout{10'000};
    Duration keep_alive_timeout{5'000};
    Duration shutdown_timeout{10'000};
    std::vector<std::string> trusted_proxies;          // as written
    std::vector<AddressRange> trusted_proxy_ranges;    // the same, parsed
    std::string forwarded_header = "x-forwarded-for";  // x-forwarded-for | forwarded
    // Where `serve` writes its process id (removed at exit) for `linkgate reload`; empty: none
    // (under systemd, `linkgate reload` asks systemctl).
    std::string pid_file;
    /// Where /metrics and /readyz are served, and what they require.
    struct Admin {
      std::vector<ListenAddress> listen;  // empty: on the public listeners
      std::string token;                  // a bearer token to require; empty: none
      std::string token_file;             // or a private file holding it
    } admin;
    [[nodiscard]] bool https() const { return !tls_cert_file.empty(); }
  } server;

  std::vector<std::string> plugin_search_paths;

  PluginUse token;
  Duration token_ttl{15 * 60'000};

  std::vector<DeliveryUse> delivery;

  PluginUse users;
  bool signup = false;

  struct Session {
    Duration ttl{3'600'000};
    std::string audience = "linkgate";
    std::string keys_dir = "data/keys";
    Duration rotate_every{30LL * 86'400'000};
    std::string cookie_name = "lg_session";
    std::string cookie_secure = "auto";  // auto | always | never
    std::string cookie_domain;
  } session;

  struct Otp {
    int length = 6;
    int max_attempts = 5;
  } otp;

  struct Verify {
    bool confirm_page = true;
    bool supersede_previous = true;
    bool require_same_browser = false;
  } verify;

  struct Security {
    std::vector<std::string> redirect_allowlist;
    Rate per_identifier{5, Duration(15 * 60'000)};
    Rate per_client{60, Duration(60'000)};
    Duration resend_cooldown{30'000};
    Rate sms_budget{500, Duration(3'600'000)};
    Rate wrong_codes{10, Duration(24 * 3'600'000)};
    bool notify_unknown = false;
    std::string store = "memory";
    std::string secret_file = "data/keys/server.secret";
  } security;

  struct Outbox {
    std::string store = "sqlite:data/outbox.db";
    int attempts = 8;
    BackoffRange backoff{Duration(2'000), Duration(600'000)};
    int workers = 0;  // 0: auto, the delivery entries' concurrency added up (at least 2)
    Duration poll_interval{500};
    Duration lease{60'000};  // a message claimed by a process that died is retried after this
    Duration retention{86'400'000};  // sent, dead and suppressed rows are purged after this
  } outbox;

  struct Templates {
    std::string dir = "configs/templates";
    std::string locale_default = "en";
  } templates;

  struct Branding {
    std::string title = "Sign in";
    std::string accent = "#4f46e5";
    std::string logo_url;
    std::string app_name = "linkgate";
  } branding;

  struct Log {
    std::string level = "info";   // debug | info | warning | error
    std::string format = "json";  // json | text
    std::string audit_file;
    bool access = true;  // one line per request: method, path, status, duration, request id
  } log;
};

}  // namespace linkgate::config
