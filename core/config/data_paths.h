#pragma once
// Where the relative paths of a configuration file point: `data_dir`, when the file sets one.

#include <string>
#include <string_view>

namespace linkgate::config {

struct Settings;

/// @p path when absolute, else @p base / @p path; normalised.
std::string resolve_against(std::string_view base, std::string_view path);

/// `data_dir` as written, made absolute: a relative one is taken from the folder of
/// @p config_file (the working directory when that has no folder).
std::string absolute_data_dir(std::string_view written, std::string_view config_file);

/// Resolves every relative file or folder the core reads (keys, secret, outbox database,
/// templates, audit log, TLS files, admin token file, plugin search paths) and each plugin's
/// base against settings.data_dir. Does nothing when data_dir is empty.
void resolve_data_paths(Settings& settings);

}  // namespace linkgate::config
