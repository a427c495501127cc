#include "cli/deployment.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/exit_codes.h"
#include "config/settings_loader.h"

namespace linkgate::cli {

std::string become_owner_of(const std::string& data_dir) {
  if (::geteuid() != 0 || data_dir.empty()) return "";
  struct stat owner {};
  if (::stat(data_dir.c_str(), &owner) != 0 || owner.st_uid == 0) return "";
  if (::setgroups(0, nullptr) != 0 || ::setgid(owner.st_gid) != 0 || ::setuid(owner.st_uid) != 0) {
    return "cannot become the owner of " + data_dir + ": " + std::strerror(errno);
  }
  return "";
}

std::shared_ptr<wiring::Runtime> open_deployment(const std::string& file, std::ostream& err,
                                                 int& exit_code) {
  exit_code = kExitConfig;
  config::Diagnostics diagnostics;
  auto settings = config::load_settings_file(file, diagnostics);
  if (!settings) {
    for (const auto& e : diagnostics.errors()) err << file << ": " << e.to_string() << "\n";
    return nullptr;
  }
  if (auto problem = become_owner_of(settings->data_dir); !problem.empty()) {
    err << problem << "\n";
    exit_code = kExitFailed;
    return nullptr;
  }
  // The command's own messages go to the terminal; the plugins' chatter would only hide them.
  auto quiet = *settings;
  quiet.log.level = "error";
  quiet.log.format = "text";
  try {
    auto runtime = wiring::Runtime::build(*settings, wiring::SharedState::create(quiet));
    exit_code = kExitOk;
    return runtime;
  } catch (const wiring::DeploymentError& e) {
    for (const auto& problem : e.diagnostics().errors())
      err << file << ": " << problem.to_string() << "\n";
  } catch (const std::exception& e) {
    err << file << ": " << e.what() << "\n";
  }
  return nullptr;
}

}  // namespace linkgate::cli
