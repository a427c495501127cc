#include "cli/reload_command.h"

#include <Poco/Process.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/deployment.h"
#include "cli/exit_codes.h"
#include "config/settings_loader.h"

namespace linkgate::cli {

const std::set<std::string> kReloadOptions{"pid-file", "unit"};

void reload_help(std::ostream& out) {
  out << "usage: linkgate reload [--config FILE] [--pid-file FILE | --unit NAME]\n"
         "  Checks FILE as `serve` reads it (like check-config) and, when it passes, asks the\n"
         "  running server to re-read it: SIGHUP to the process in --pid-file or\n"
         "  server.pid_file, else `systemctl reload NAME` (default linkgate) under systemd.\n"
         "  The server keeps its running configuration when the new one fails; its log says.\n"
         "exit: 0 asked, 1 no server to ask, 2 usage, 78 the file does not pass the check\n";
}

namespace {

/// check-config in a child process that first becomes the owner of the data (the parent stays
/// who it is, so that it may still signal the server or call systemctl).
int checked_in_child(const std::string& file, const std::string& data_dir, std::ostream& out,
                     std::ostream& err) {
  out.flush();
  err.flush();
  const pid_t child = ::fork();
  if (child < 0) {
    err << "reload: cannot fork: " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  if (child == 0) {
    int code = kExitConfig;
    if (auto problem = become_owner_of(data_dir); !problem.empty()) {
      std::cerr << problem << "\n";
    } else {
      code = check_config(file, std::cout, std::cerr);
    }
    std::cout.flush();
    std::cerr.flush();
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : kExitFailed;
}

}  // namespace

int signal_server(const std::string& pid_file, std::ostream& out, std::ostream& err) {
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) {
    err << "reload: no process id in " << pid_file << " (is the server running?)\n";
    return kExitFailed;
  }
  std::error_code ec;
  const auto exe =
      std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).filename();
  // "linkgate (deleted)" after an upgrade replaced the binary under a running server.
  if (ec || exe.string().rfind("linkgate", 0) != 0) {
    err << "reload: process " << pid << " from " << pid_file
        << " is not a running linkgate (a stale pid file?)\n";
    return kExitFailed;
  }
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    err << "reload: cannot signal process " << pid << ": " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  out << "asked linkgate (pid " << pid << ") to reload; its log says whether it took the file\n";
  return kExitOk;
}

int run_reload(const Arguments& a, std::ostream& out, std::ostream& err) {
  if (!a.words.empty() || (a.option("pid-file") && a.option("unit"))) {
    reload_help(err);
    return kExitUsage;
  }
  const std::string file = a.config_file();
  config::Diagnostics diagnostics;
  auto settings = config::load_settings_file(file, diagnostics);
  if (!settings) {
    for (const auto& e : diagnostics.errors()) err << file << ": " << e.to_string() << "\n";
    err << "not reloading: the running server keeps its configuration\n";
    return kExitConfig;
  }
  if (checked_in_child(file, settings->data_dir, out, err) != kExitOk) {
    err << "not reloading: the running server keeps its configuration\n";
    return kExitConfig;
  }
  const std::string pid_file = a.option("pid-file").value_or(settings->server.pid_file);
  if (!pid_file.empty() && !a.option("unit")) return signal_server(pid_file, out, err);
  if (!std::filesystem::exists("/run/systemd/system")) {
    err << "reload: no pid file (--pid-file, server.pid_file) and no systemd to ask\n";
    return kExitFailed;
  }
  const std::string unit = a.option("unit").value_or("linkgate");
  try {
    auto handle = Poco::Process::launch("systemctl", {"reload", unit});
    const int rc = handle.wait();
    if (rc != 0) {
      err << "reload: systemctl reload " << unit << " exited " << rc << "\n";
      return kExitFailed;
    }
  } catch (const Poco::Exception& e) {
    err << "reload: cannot run systemctl: " << e.displayText() << "\n";
    return kExitFailed;
  }
  out << "asked systemd to reload " << unit << "\n";
  return kExitOk;
}

}  // namespace linkgate::cli
