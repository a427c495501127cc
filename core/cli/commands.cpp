#include "cli/commands.h"

#include "cli/deployment.h"
#include "config/settings_loader.h"
#include "host/host_services.h"
#include "plugin_host/plugin_host.h"
#include "session/signing_keys.h"
#include "wiring/plugin_resolution.h"
#include "wiring/runtime.h"

namespace linkgate::cli {

int check_config(const std::string& file, std::ostream& out, std::ostream& err) {
  config::Diagnostics diagnostics;
  auto text = config::read_config_file(file, diagnostics);
  auto settings = text ? config::read_settings_best_effort(*text, file, diagnostics) : std::nullopt;
  if (settings && diagnostics.ok()) {
    // Exactly what `serve` does before it listens: every plugin instance created with its
    // config, every store, key, template and log opened. Nothing is started or bound.
    auto quiet = *settings;
    quiet.log.level = "error";
    try {
      wiring::Runtime::build(*settings, wiring::SharedState::create(quiet));
    } catch (const wiring::DeploymentError& e) {
      for (const auto& problem : e.diagnostics().errors()) {
        diagnostics.add(problem.path, problem.message, problem.line);
      }
    } catch (const std::exception& e) {
      diagnostics.add("", e.what(), 0);
    }
  } else if (settings) {
    // Plugin blocks are checked even when core keys have problems: one run lists everything.
    plugin_host::PluginHost host(settings->plugin_search_paths);
    wiring::resolve_plugins(*settings, host, diagnostics);
  }
  if (!diagnostics.ok()) {
    for (const auto& e : diagnostics.errors()) err << file << ": " << e.to_string() << "\n";
    err << diagnostics.errors().size() << " problem(s) in " << file << "\n";
    return 1;
  }
  out << file << ": OK\n";
  return 0;
}

int rotate_keys(const std::string& file, std::ostream& out, std::ostream& err) {
  config::Diagnostics diagnostics;
  auto settings = config::load_settings_file(file, diagnostics);
  if (!settings) {
    for (const auto& e : diagnostics.errors()) err << file << ": " << e.to_string() << "\n";
    return 1;
  }
  if (auto problem = become_owner_of(settings->data_dir); !problem.empty()) {
    err << "keys rotate: " << problem << "\n";
    return 1;
  }
  try {
    host::SystemClock clock;
    const auto& s = settings->session;
    session::SigningKeys keys(s.keys_dir, s.rotate_every, s.ttl, clock);
    const std::string previous = keys.current()->kid;
    auto made = keys.rotate();
    out << "new signing key " << made->kid << " in " << made->file << "\n"
        << "previous key " << previous << " stays in the JWKS until its tokens expire\n"
        << "running servers sharing " << s.keys_dir << " sign with the new key within a second\n";
    return 0;
  } catch (const std::exception& e) {
    err << "keys rotate: " << e.what() << "\n";
    return 1;
  }
}

std::string markdown_key_table(const sdk::ConfigKey* keys, std::size_t count) {
  std::string out = "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (std::size_t i = 0; i < count; ++i) {
    const auto& k = keys[i];
    std::string fallback = k.required ? "required"
                           : k.default_value == nullptr || *k.default_value == '\0'
                               ? "—"
                               : "`" + std::string(k.default_value) + "`";
    if (k.type == sdk::ConfigType::secret && k.default_value != nullptr && *k.default_value)
      fallback = "***";
    std::string meaning = k.description;
    for (auto at = meaning.find('|'); at != std::string::npos; at = meaning.find('|', at + 2))
      meaning.replace(at, 1, "\\|");
    out += "| `" + std::string(k.name) + "` | " + sdk::to_string(k.type) + " | " + fallback +
           " | " + meaning + " |\n";
  }
  return out;
}

int list_plugins(const std::string& file, std::ostream& out, std::ostream& err, bool markdown) {
  config::Diagnostics diagnostics;
  auto settings = config::load_settings_file(file, diagnostics);
  std::vector<std::string> paths;
  if (settings) {
    paths = settings->plugin_search_paths;
  } else {
    for (const auto& e : diagnostics.errors()) err << file << ": " << e.to_string() << "\n";
    return 1;
  }
  plugin_host::PluginHost host(paths);
  int problems = 0;
  for (const auto& found : host.discover()) {
    if (auto* error = std::get_if<std::string>(&found.plugin)) {
      out << "!  " << *error << "\n";
      ++problems;
      continue;
    }
    const auto* d = std::get<plugin_host::PluginLibrary>(found.plugin).descriptor;
    if (markdown) {
      out << "### " << sdk::to_string(d->kind) << " " << d->name << "\n\n"
          << markdown_key_table(d->config_keys, d->config_key_count) << "\n";
      continue;
    }
    out << sdk::to_string(d->kind) << "  " << d->name << "  " << d->version << "  " << found.file
        << "\n"
        << "    " << d->summary << "\n"
        << "    built with " << d->build_signature << "\n";
    for (std::size_t i = 0; i < d->config_key_count; ++i) {
      const auto& k = d->config_keys[i];
      out << "    " << k.name << " (" << sdk::to_string(k.type) << (k.required ? ", required" : "")
          << (k.default_value ? std::string(", default ") +
                                    (k.type == sdk::ConfigType::secret ? "***" : k.default_value)
                              : "")
          << "): " << k.description << "\n";
    }
  }
  if (problems) err << problems << " file(s) could not be loaded as plugins\n";
  return 0;
}

}  // namespace linkgate::cli
