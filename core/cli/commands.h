#pragma once
// The command-line verbs besides `serve`.

#include <ostream>
#include <string>

namespace linkgate::cli {

/// Validates the file and every plugin block; prints each problem. Returns the exit code.
int check_config(const std::string& file, std::ostream& out, std::ostream& err);
/// Lists every plugin in the search paths of @p file (kind, name, version, file, config keys).
int list_plugins(const std::string& file, std::ostream& out, std::ostream& err);
/// Makes a new session signing key in session.signing_keys.dir; running instances sharing the
/// folder sign with it within a second. Prints its kid.
int rotate_keys(const std::string& file, std::ostream& out, std::ostream& err);

}  // namespace linkgate::cli
