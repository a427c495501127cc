#pragma once
// A complete config for tests: everything under one temp folder, port 0, the built plugins.

#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace linkgate::testing {

inline const char* plugin_dir() {
  return LINKGATE_PLUGIN_DIR;
}
inline const char* source_dir() {
  return LINKGATE_SOURCE_DIR;
}

/// The YAML of a default-like deployment rooted in a temp folder. Each member replaces one
/// part; `extra` is appended as more top-level keys (which must not repeat earlier ones).
struct TestConfig {
  std::string public_base_url = "http://127.0.0.1:8080";
  std::string signup = "true";
  std::string verify =
      "{ confirm_page: true, supersede_previous: true, require_same_browser: false }";
  std::string otp = "{ length: 6, max_attempts: 5 }";
  std::string token_ttl = "15m";
  std::string token_plugin = "jwt";
  std::string token_config;  // the token `config:` block (`@DIR@` = the test's folder); empty = jwt
  std::string token_call_timeout;  // empty = the default
  std::string redirect_allowlist = "[\"https://app.example.com/*\"]";
  std::string log_level = "warning";
  std::string users_plugin = "sql";
  std::string users_config;        // the users `config:` block; empty = SQLite in the test's folder
  std::string users_call_timeout;  // empty = the default
  std::string outbox_store;        // empty = SQLite in the test's folder
  std::string keys_dir;    // session keys, link key and server secret; empty = the test's folder
  std::string outbox_dir;  // where the development channel writes; empty = the test's folder
  std::string delivery;    // the `delivery:` list in YAML; empty = outbox files for both kinds
  std::string outbox_retry = "{ attempts: 8, backoff: 2s..10m }";
  std::string outbox_lease = "60s";
  std::string extra_search_path;
  // Generous unless a test is about limits: most tests sign in many times from one address.
  // Empty: the contract's defaults.
  std::string rate_limits =
      "{ per_identifier: 1000/1m, per_client: 100000/1m, resend_cooldown: 0s }";
  std::string security_store = "memory";
  std::string audit_file = "@DIR@/audit.log";
  std::string server_extra;    // more lines inside `server:`, each indented by two spaces
  std::string security_extra;  // more lines inside `security:`, likewise
  std::string session_extra;   // more lines inside `session:`, likewise
  std::string extra;

  [[nodiscard]] std::string yaml(const TempDir& dir) const {
    const std::string d = dir.path().string();
    const std::string keys = keys_dir.empty() ? d + "/keys" : keys_dir;
    std::string y;
    auto line = [&y](const std::string& text) { y += text + "\n"; };
    line("server:");
    line("  listen: 127.0.0.1:0");
    line("  public_base_url: " + public_base_url);
    line("  threads: 32");
    y += server_extra;
    line("plugins:");
    line("  search_paths: [" + std::string(plugin_dir()) +
         (extra_search_path.empty() ? "" : ", " + extra_search_path) + "]");
    line("token:");
    line("  plugin: " + token_plugin);
    line("  ttl: " + token_ttl);
    if (!token_call_timeout.empty()) line("  call_timeout: " + token_call_timeout);
    line("  config: " +
         (token_config.empty() ? "{ key_file: " + keys + "/link.pem }" : token_config));
    line("delivery:");
    if (delivery.empty()) {
      for (const char* kind : {"email", "phone"}) {
        line("  - plugin: outbox");
        line(std::string("    for: ") + kind);
        line("    config: { dir: " + (outbox_dir.empty() ? d + "/outbox" : outbox_dir) +
             ", log_link: false }");
      }
    } else {
      y += delivery;
    }
    line("users:");
    line("  plugin: " + users_plugin);
    line("  signup: " + signup);
    if (!users_call_timeout.empty()) line("  call_timeout: " + users_call_timeout);
    if (!users_config.empty()) {
      line("  config: " + users_config);
    } else if (users_plugin == "sql") {
      line("  config: { database: " + d + "/users.db }");
    }
    line("session:");
    line("  signing_keys: { dir: " + keys + " }");
    y += session_extra;
    line("otp: " + otp);
    line("verify: " + verify);
    line("security:");
    line("  redirect_allowlist: " + redirect_allowlist);
    line("  secret_file: " + keys + "/server.secret");
    if (!rate_limits.empty()) line("  rate_limits: " + rate_limits);
    line("  store: " + security_store);
    y += security_extra;
    line("outbox:");
    line("  store: " + (outbox_store.empty() ? "sqlite:" + d + "/outbox.db" : outbox_store));
    line("  poll_interval: 50ms");
    line("  retry: " + outbox_retry);
    line("  lease: " + outbox_lease);
    line("templates: { dir: " + std::string(source_dir()) + "/configs/templates }");
    line("log: { level: " + log_level + ", format: text" +
         (audit_file.empty() ? "" : ", audit_file: " + audit_file) + " }");
    y += extra;
    // `@DIR@` in any part stands for the test's own folder.
    for (auto at = y.find("@DIR@"); at != std::string::npos; at = y.find("@DIR@", at))
      y.replace(at, 5, d);
    return y;
  }

  /// Writes the YAML to `<dir>/linkgate.yaml` and returns that path.
  std::string write(const TempDir& dir) const {
    std::string file = dir.file("linkgate.yaml");
    std::ofstream(file) << yaml(dir);
    return file;
  }
};

}  // namespace linkgate::testing
