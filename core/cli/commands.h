#pragma once
// The command-line verbs besides `serve`.

#include <ostream>
#include <string>

#include "linkgate/sdk/config_view.h"

namespace linkgate::cli {

/// Validates the file and every plugin block; prints each problem. Returns the exit code.
int check_config(const std::string& file, std::ostream& out, std::ostream& err);
/// Lists every plugin in the search paths of @p file (kind, name, version, file, config keys).
/// With @p markdown, prints each plugin's key table as the Markdown its README carries.
int list_plugins(const std::string& file, std::ostream& out, std::ostream& err,
                 bool markdown = false);

/// @p keys as the Markdown table a plugin README carries between its config-keys markers.
std::string markdown_key_table(const sdk::ConfigKey* keys, std::size_t count);
/// Makes a new session signing key in session.signing_keys.dir; running instances sharing the
/// folder sign with it within a second. Prints its kid.
int rotate_keys(const std::string& file, std::ostream& out, std::ostream& err);

}  // namespace linkgate::cli
