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

/// The YAML of a default-like deployment rooted in @p dir, plus @p extra top-level YAML
/// appended (later keys must not repeat earlier ones; use the parameters instead).
struct TestConfig {
  std::string signup = "true";
  std::string verify =
      "{ confirm_page: true, supersede_previous: true, require_same_browser: false }";
  std::string otp = "{ length: 6, max_attempts: 5 }";
  std::string token_ttl = "15m";
  std::string redirect_allowlist = "[\"https://app.example.com/*\"]";
  std::string log_level = "warning";
  std::string users_plugin = "sql";
  std::string extra_search_path;
  std::string extra;

  [[nodiscard]] std::string yaml(const TempDir& dir) const {
    const std::string d = dir.path().string();
    return "server:\n"
           "  listen: 127.0.0.1:0\n"
           "  public_base_url: http://127.0.0.1:8080\n"
           "  threads: 32\n"
           "plugins:\n"
           "  search_paths: [" +
           std::string(plugin_dir()) + (extra_search_path.empty() ? "" : ", " + extra_search_path) +
           "]\n"
           "token:\n"
           "  plugin: jwt\n"
           "  ttl: " +
           token_ttl +
           "\n"
           "  config: { key_file: " +
           d +
           "/keys/link.pem }\n"
           "delivery:\n"
           "  - plugin: outbox\n"
           "    for: email\n"
           "    config: { dir: " +
           d +
           "/outbox, log_link: false }\n"
           "  - plugin: outbox\n"
           "    for: phone\n"
           "    config: { dir: " +
           d +
           "/outbox, log_link: false }\n"
           "users:\n"
           "  plugin: " +
           users_plugin +
           "\n"
           "  signup: " +
           signup + "\n" +
           (users_plugin == "sql" ? "  config: { database: " + d + "/users.db }\n" : "") +
           "session:\n"
           "  signing_keys: { dir: " +
           d +
           "/keys }\n"
           "otp: " +
           otp +
           "\n"
           "verify: " +
           verify +
           "\n"
           "security:\n"
           "  redirect_allowlist: " +
           redirect_allowlist +
           "\n"
           "  secret_file: " +
           d +
           "/keys/server.secret\n"
           "outbox:\n"
           "  store: sqlite:" +
           d +
           "/outbox.db\n"
           "  poll_interval: 50ms\n"
           "templates: { dir: " +
           std::string(source_dir()) +
           "/configs/templates }\n"
           "log: { level: " +
           log_level + ", format: text }\n" + extra;
  }

  /// Writes the YAML to `<dir>/linkgate.yaml` and returns that path.
  std::string write(const TempDir& dir) const {
    std::string file = dir.file("linkgate.yaml");
    std::ofstream(file) << yaml(dir);
    return file;
  }
};

}  // namespace linkgate::testing
