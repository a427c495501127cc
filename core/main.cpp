// linkgate: passwordless sign-in server. `linkgate serve --config FILE`.

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/operator_commands.h"
#include "cli/scaffold.h"
#include "config/settings_loader.h"
#include "host/pid_file.h"
#include "host/service_notifier.h"
#include "linkgate/sdk/version.h"
#include "server/server.h"
#include "sql/sqlite_process.h"
#include "util/allocator_tuning.h"
#include "util/blocking.h"

// Plugins carry their own copy of util/blocking; this is how their calls to
// util::about_to_block() reach the server's threads (exported by the link options).
extern "C" __attribute__((visibility("default"))) void linkgate_about_to_block() {
  linkgate::util::run_blocking_hook();
}

namespace {

using Poco::Util::Option;
using Poco::Util::OptionSet;

class ServeApplication final : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(OptionSet& options) override {
    ServerApplication::defineOptions(options);
    options.addOption(Option("config", "c", "configuration file")
                          .required(false)
                          .repeatable(false)
                          .argument("FILE"));
    options.addOption(Option("help", "h", "show this help").required(false));
  }

  void handleOption(const std::string& name, const std::string& value) override {
    ServerApplication::handleOption(name, value);
    if (name == "config") config_file_ = value;
    if (name == "help") help_ = true;
  }

  /// One log line saying what happened, then one line per problem: never one line with "\n"s.
  void log_problems(linkgate::host::Log& log, const std::string& what,
                    const linkgate::config::Diagnostics& problems) const {
    log.write(
        linkgate::sdk::LogLevel::error, "core",
        what + ": " + std::to_string(problems.errors().size()) + " problem(s) in " + config_file_);
    for (const auto& problem : problems.errors()) {
      log.write(linkgate::sdk::LogLevel::error, "core", config_file_ + ": " + problem.to_string());
    }
  }

  int main(const std::vector<std::string>&) override {
    if (help_) {
      Poco::Util::HelpFormatter help(options());
      help.setCommand("linkgate serve");
      help.setUsage("--config FILE");
      help.format(std::cout);
      return EXIT_OK;
    }
    using namespace linkgate;
    config::Diagnostics diagnostics;
    auto settings = config::load_settings_file(config_file_, diagnostics);
    if (!settings) {
      for (const auto& e : diagnostics.errors())
        std::cerr << config_file_ << ": " << e.to_string() << "\n";
      return EXIT_CONFIG;
    }
    auto shared = wiring::SharedState::create(*settings);
    auto& log = *shared->services.log;
    std::unique_ptr<server::Server> server;
    try {
      server = std::make_unique<server::Server>(*settings, shared);
    } catch (const wiring::DeploymentError& e) {
      log_problems(log, "cannot start", e.diagnostics());
      return EXIT_CONFIG;
    } catch (const std::exception& e) {
      log.write(linkgate::sdk::LogLevel::error, "core", std::string("cannot start: ") + e.what());
      return EXIT_CONFIG;
    }
    server->start();
    std::unique_ptr<linkgate::host::PidFile> pid_file;
    if (!settings->server.pid_file.empty()) {
      try {
        pid_file = std::make_unique<linkgate::host::PidFile>(settings->server.pid_file);
      } catch (const std::exception& e) {
        log.write(linkgate::sdk::LogLevel::error, "core", std::string("cannot start: ") + e.what());
        server->stop();
        return EXIT_CANTCREAT;
      }
    }
    for (auto port : server->ports()) {
      log.write(linkgate::sdk::LogLevel::info, "core",
                "listening on " + std::string(settings->server.https() ? "https" : "http") + "://" +
                    settings->server.listen.front().host + ":" + std::to_string(port));
    }
    log.write(linkgate::sdk::LogLevel::info, "core",
              std::to_string(server->workers()) + " workers; open file limit " +
                  std::to_string(server->open_file_limit()) + " (server.max_connections " +
                  std::to_string(settings->server.max_connections) + ")");
    if (server->open_file_limit() <
        static_cast<std::uint64_t>(settings->server.max_connections) + 64) {
      log.write(linkgate::sdk::LogLevel::warning, "core",
                "the open file limit is below server.max_connections: connections beyond it are "
                "shed when descriptors run out (raise LimitNOFILE / ulimit -Hn)");
    }
    log.write(linkgate::sdk::LogLevel::info, "core",
              "sign in at " + settings->server.public_base_url + "/");

    const linkgate::host::ServiceNotifier service_manager;
    const std::string serving = "serving on " + settings->server.public_base_url;
    service_manager.ready(serving);

    std::atomic<bool> stopping{false};
    std::thread reloader([&] {
      sigset_t hup;
      sigemptyset(&hup);
      sigaddset(&hup, SIGHUP);
      timespec tick{0, 250'000'000};
      while (!stopping) {
        if (sigtimedwait(&hup, nullptr, &tick) != SIGHUP) continue;
        service_manager.reloading();
        const bool reloaded = reload(*server, log);
        service_manager.ready(
            serving + (reloaded ? "; configuration reloaded" : "; reload refused, see the log"));
      }
    });
    waitForTerminationRequest();
    service_manager.stopping();
    log.write(linkgate::sdk::LogLevel::info, "core", "stopping");
    stopping = true;
    reloader.join();
    server->stop();
    return EXIT_OK;
  }

 private:
  /// Reads the configuration file again and swaps it in; false (logged) when it is refused.
  bool reload(linkgate::server::Server& server, linkgate::host::Log& log) {
    using namespace linkgate;
    config::Diagnostics reload_diagnostics;
    auto next = config::load_settings_file(config_file_, reload_diagnostics);
    if (!next) {
      log_problems(log, "reload refused, keeping the running configuration", reload_diagnostics);
      return false;
    }
    auto problems = server.reload(*next);
    if (!problems.ok()) {
      log_problems(log, "reload refused, keeping the running configuration", problems);
      return false;
    }
    log.write(sdk::LogLevel::info, "core", "configuration reloaded from " + config_file_);
    return true;
  }

  std::string config_file_ = "configs/linkgate.yaml";
  bool help_ = false;
};

int usage(std::ostream& out) {
  out << "usage: linkgate <command> [--config FILE]\n"
         "  serve          serve HTTP (SIGHUP reloads the configuration)\n"
         "  check-config   validate the configuration and every plugin block\n"
         "  plugins        list the plugins in plugins.search_paths, with their config keys\n"
         "                 (--markdown: each key table as its README carries it)\n"
         "  keys rotate    make a new session signing key now (old keys stay until unneeded)\n"
         "  users list|add|disable|enable|delete\n"
         "                 the users in the user store (`linkgate users --help`)\n"
         "  outbox list|retry|purge\n"
         "                 the stored messages, never their links or codes (`outbox --help`)\n"
         "  reload         check the file, then have the running server re-read it\n"
         "  new-plugin --kind delivery|token|users --name NAME --dir DIR\n"
         "                 write a plugin project that builds against the installed SDK\n"
         "  version        print the server and SDK versions\n";
  return 2;
}

std::string config_argument(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return a.substr(9);
  }
  return "configs/linkgate.yaml";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(std::cerr);
  // Before any thread starts or database is opened, by any command or plugin.
  linkgate::util::tune_allocator_for_this_process(std::getenv("GLIBC_TUNABLES"));
  linkgate::sql::tune_sqlite_for_this_process();
  const std::string command = argv[1];
  if (command == "serve") {
    // Databases, keys and outbox files hold addresses and secrets: nobody else may read them.
    ::umask(0077);
    // Every thread inherits this mask, so SIGHUP reaches only the reload thread's sigtimedwait
    // and SIGTERM/SIGINT/SIGQUIT only the main thread's sigwait (waitForTerminationRequest). A
    // thread started without them blocked would take a SIGTERM's default action — the process
    // ends at once, without draining (the shutdown test saw it about one run in ten).
    sigset_t handled;
    sigemptyset(&handled);
    for (int signal : {SIGHUP, SIGTERM, SIGINT, SIGQUIT}) sigaddset(&handled, signal);
    pthread_sigmask(SIG_BLOCK, &handled, nullptr);
    ServeApplication app;
    std::vector<char*> args{argv[0]};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    return app.run(static_cast<int>(args.size()), args.data());
  }
  const std::vector<std::string> rest(argv + 2, argv + argc);
  if (command == "users") return linkgate::cli::users_main(rest, std::cout, std::cerr);
  if (command == "outbox") return linkgate::cli::outbox_main(rest, std::cout, std::cerr);
  if (command == "reload") return linkgate::cli::reload_main(rest, std::cout, std::cerr);
  if (command == "help" || command == "--help" || command == "-h") {
    usage(std::cout);
    return 0;
  }
  if (command == "check-config")
    return linkgate::cli::check_config(config_argument(argc, argv), std::cout, std::cerr);
  if (command == "plugins") {
    const bool markdown = std::any_of(argv + 2, argv + argc,
                                      [](const char* a) { return std::string(a) == "--markdown"; });
    return linkgate::cli::list_plugins(config_argument(argc, argv), std::cout, std::cerr, markdown);
  }
  if (command == "new-plugin") {
    std::string kind, name, dir;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string flag = argv[i];
      if (flag == "--kind") kind = argv[i + 1];
      if (flag == "--name") name = argv[i + 1];
      if (flag == "--dir") dir = argv[i + 1];
    }
    if (kind.empty() || name.empty() || dir.empty()) return usage(std::cerr);
    return linkgate::cli::new_plugin(kind, name, dir, std::cout, std::cerr);
  }
  if (command == "keys" && argc > 2 && std::string(argv[2]) == "rotate") {
    ::umask(0077);
    return linkgate::cli::rotate_keys(config_argument(argc, argv), std::cout, std::cerr);
  }
  if (command == "version" || command == "--version") {
    std::cout << "linkgate " << LINKGATE_SDK_VERSION << " (plugin SDK " << LINKGATE_SDK_VERSION
              << ", ABI " << LINKGATE_SDK_ABI_VERSION << ")\n";
    return 0;
  }
  return usage(std::cerr);
}
