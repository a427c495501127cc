#pragma once
// `linkgate new-plugin`: writes a plugin project that builds against the installed SDK, with
// its declared-keys table, a testkit instantiation and a README.

#include <filesystem>
#include <map>
#include <ostream>
#include <string>

namespace linkgate::cli {

/// The files of a new plugin project (relative path -> content), or an error in @p problem.
/// @p kind: delivery (a webhook channel), token (from examples/plugins/hmac-token) or users
/// (from examples/plugins/csv-directory); @p name: lower-case letters, digits and '-', starting
/// with a letter.
std::map<std::string, std::string> scaffold_files(const std::string& kind, const std::string& name,
                                                  std::string& problem);

/// Writes scaffold_files() into @p dir (which must not exist or be empty). Returns the exit code.
int new_plugin(const std::string& kind, const std::string& name, const std::filesystem::path& dir,
               std::ostream& out, std::ostream& err);

}  // namespace linkgate::cli
