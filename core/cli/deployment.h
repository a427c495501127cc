#pragma once
// The deployment an operator command works on: the server's configuration file, opened the way
// `serve` opens it, as the user that owns its data.

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "config/settings.h"
#include "wiring/runtime.h"

namespace linkgate::cli {

/// Run as root, switches the process to the owner (user and group) of @p data_dir when that is
/// not root, so that files a command creates (a database, a key) belong to the server's user
/// and not to root. Does nothing otherwise. Returns an error message, or empty.
std::string become_owner_of(const std::string& data_dir);

/// Reads @p file, becomes the owner of its data_dir, and builds everything `serve` would (the
/// plugins, stores, keys, audit log), starting nothing. Prints every problem to @p err and sets
/// @p exit_code (kExitConfig) when it cannot.
std::shared_ptr<wiring::Runtime> open_deployment(const std::string& file, std::ostream& err,
                                                 int& exit_code);

}  // namespace linkgate::cli
