#pragma once
// The operator's commands on a deployment: `users`, `outbox` and `reload`, from the command
// line to the deployment and back. The work itself is in users_command, outbox_command and
// reload_command.

#include <ostream>
#include <string>
#include <vector>

namespace linkgate::cli {

/// `linkgate users …`, `linkgate outbox …`, `linkgate reload …` with @p args the words after
/// the command. Return the exit code (exit_codes.h).
int users_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int outbox_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int reload_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace linkgate::cli
