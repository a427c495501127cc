#pragma once
// `linkgate reload`: check the configuration file as `serve` would read it, then ask the running
// server to re-read it — SIGHUP to the process in its pid file, or `systemctl reload` under
// systemd. A file that does not pass the check is never sent to the server.

#include <ostream>
#include <set>
#include <string>

#include "cli/arguments.h"

namespace linkgate::cli {

extern const std::set<std::string> kReloadOptions;

/// `reload --help`.
void reload_help(std::ostream& out);

/// Sends SIGHUP to the linkgate process whose id is in @p pid_file. Refuses a pid that is not a
/// running linkgate (a stale file, a reused id). Returns the exit code.
int signal_server(const std::string& pid_file, std::ostream& out, std::ostream& err);

/// Runs `reload`. Returns the exit code (exit_codes.h).
int run_reload(const Arguments& a, std::ostream& out, std::ostream& err);

}  // namespace linkgate::cli
