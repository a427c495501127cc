#pragma once

#include <optional>
#include <string>

#include "config/diagnostics.h"
#include "config/env_expand.h"
#include "config/settings.h"

namespace linkgate::config {

/// Reads and validates the core keys of a config file. Plugin `config:` blocks are kept raw and
/// checked later against each plugin's declared keys (see plugin_config.h). On any problem the
/// Settings are nullopt and @p diagnostics holds one line per problem.
std::optional<Settings> load_settings_file(const std::string& file, Diagnostics& diagnostics,
                                           const EnvLookup& env = process_environment());
/// Reads what it can even when there are problems (reported to @p diagnostics), so a checker
/// can go on to validate the plugin blocks too. nullopt only when the text is not a YAML mapping.
std::optional<Settings> read_settings_best_effort(const std::string& yaml, const std::string& name,
                                                  Diagnostics& diagnostics,
                                                  const EnvLookup& env = process_environment());
/// Reads a file's text; nullopt (and a diagnostic) when it cannot be read.
std::optional<std::string> read_config_file(const std::string& file, Diagnostics& diagnostics);
/// The same, from YAML text (@p name is used in messages).
std::optional<Settings> load_settings_text(const std::string& yaml, const std::string& name,
                                           Diagnostics& diagnostics,
                                           const EnvLookup& env = process_environment());

}  // namespace linkgate::config
