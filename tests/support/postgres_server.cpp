#include "support/postgres_server.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "support/child_process.h"

namespace linkgate::testing {
namespace {

const std::string kBin = "/usr/lib/postgresql/15/bin/";

// Runs a PostgreSQL tool, as `postgres` when we are root. Returns (exit code, output).
std::pair<int, std::string> run_tool(const std::string& tool, std::vector<std::string> args) {
  std::string program = kBin + tool;
  if (::geteuid() == 0) {
    args.insert(args.begin(), {"-u", "postgres", "--", program});
    program = "/usr/sbin/runuser";
  }
  Poco::Pipe out;
  auto handle = Poco::Process::launch(program, args, nullptr, &out, &out);
  Poco::PipeInputStream in(out);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  return {handle.wait(), text};
}

}  // namespace

PostgresServer& PostgresServer::shared() {
  static std::unique_ptr<PostgresServer> server(new PostgresServer());
  return *server;
}

PostgresServer::PostgresServer() {
  std::string pattern = (std::filesystem::temp_directory_path() / "linkgate-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  if (::geteuid() == 0) {
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("cannot hand " + dir_ + " to the postgres user");
    }
  }
  auto [init_code, init_out] = run_tool(
      "initdb", {"-D", dir_ + "/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"});
  if (init_code != 0) throw std::runtime_error("initdb failed:\n" + init_out);
  port_ = free_port();
  auto [start_code, start_out] =
      run_tool("pg_ctl", {"-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-o",
                          "-p " + std::to_string(port_) + " -k " + dir_ +
                              " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                          "start"});
  if (start_code != 0) throw std::runtime_error("pg_ctl start failed:\n" + start_out);
  Poco::Data::PostgreSQL::Connector::registerConnector();
}

PostgresServer::~PostgresServer() {
  run_tool("pg_ctl", {"-D", dir_ + "/data", "-m", "immediate", "stop"});
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresServer::fresh_database() {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const std::string name =
      "lg_test_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  Poco::Data::Session admin("PostgreSQL", "host=127.0.0.1 port=" + std::to_string(port_) +
                                              " user=postgres dbname=postgres");
  admin << "CREATE DATABASE " + name, Poco::Data::Keywords::now;
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

std::shared_ptr<linkgate::sql::Database> open_test_database(const std::string& backend,
                                                            const TempDir& dir) {
  if (backend == "postgresql")
    return linkgate::sql::Database::open(PostgresServer::shared().fresh_database());
  return linkgate::sql::Database::open("sqlite:" + dir.file("core.db"));
}

}  // namespace linkgate::testing
