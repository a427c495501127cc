#pragma once
// `linkgate users list|add|disable|enable|delete`: the user store as an operator sees it.

#include <cstdint>
#include <ostream>
#include <string>

#include "audit/audit_log.h"
#include "cli/arguments.h"
#include "linkgate/sdk/user_store.h"

namespace linkgate::cli {

/// The options and flags `users` understands, for parse_arguments().
extern const std::set<std::string> kUsersOptions;
extern const std::set<std::string> kUsersFlags;

/// `users --help`.
void users_help(std::ostream& out);

/// Runs `users <verb> …` (@p a.words[0] is the verb) on @p users. Every change is recorded in
/// @p audit at @p now_ms. Returns the exit code (exit_codes.h); messages go to @p err, results
/// to @p out (JSON with --json).
int run_users(const Arguments& a, sdk::UserStore& users, audit::AuditSink& audit,
              std::int64_t now_ms, std::ostream& out, std::ostream& err);

}  // namespace linkgate::cli
