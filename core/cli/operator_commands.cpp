#include "cli/operator_commands.h"

#include "cli/deployment.h"
#include "cli/exit_codes.h"
#include "cli/outbox_command.h"
#include "cli/reload_command.h"
#include "cli/users_command.h"

namespace linkgate::cli {
namespace {

/// Parses @p args; prints @p help and says what exit code to return when the line asks for help
/// or is wrong.
std::optional<int> parsed(Arguments& a, const std::vector<std::string>& args,
                          const std::set<std::string>& options, const std::set<std::string>& flags,
                          void (*help)(std::ostream&), std::ostream& out, std::ostream& err) {
  a = parse_arguments(args, options, flags);
  if (!a.problem.empty()) {
    err << a.problem << "\n";
    help(err);
    return kExitUsage;
  }
  if (a.has("help")) {
    help(out);
    return kExitOk;
  }
  return std::nullopt;
}

}  // namespace

int users_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Arguments a;
  if (auto done = parsed(a, args, kUsersOptions, kUsersFlags, users_help, out, err)) return *done;
  if (a.words.empty()) {
    users_help(err);
    return kExitUsage;
  }
  int code = kExitOk;
  auto runtime = open_deployment(a.config_file(), err, code);
  if (!runtime) return code;
  return run_users(a, runtime->users(), runtime->audit(), runtime->now_ms(), out, err);
}

int outbox_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Arguments a;
  if (auto done = parsed(a, args, kOutboxOptions, kOutboxFlags, outbox_help, out, err))
    return *done;
  if (a.words.empty()) {
    outbox_help(err);
    return kExitUsage;
  }
  int code = kExitOk;
  auto runtime = open_deployment(a.config_file(), err, code);
  if (!runtime) return code;
  outbox::OutboxAdmin admin(runtime->database());
  OutboxContext context{runtime->outbox(), admin, {}, runtime->now_ms() / 1000};
  for (const auto& use : runtime->settings().delivery) {
    context.channels.push_back(
        use.name + " (" + (use.address_kind == sdk::AddressKind::email ? "email" : "phone") + ")");
  }
  return run_outbox(a, context, out, err);
}

int reload_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Arguments a;
  if (auto done = parsed(a, args, kReloadOptions, {}, reload_help, out, err)) return *done;
  return run_reload(a, out, err);
}

}  // namespace linkgate::cli
