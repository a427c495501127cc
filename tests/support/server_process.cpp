#include "support/server_process.h"

#include <signal.h>

#include <regex>

namespace linkgate::testing {

ServerProcess::ServerProcess(const std::string& binary, const std::string& config,
                             const std::string& workdir, const Poco::Process::Env& env) {
  handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(
      binary, {"serve", "--config", config}, workdir, nullptr, &pipe_, &pipe_, env));
  in_ = std::make_unique<Poco::PipeInputStream>(pipe_);
  static const std::regex kListening(R"(listening on http://127\.0\.0\.1:(\d+))");
  for (std::string line; port_.empty() && std::getline(*in_, line);) {
    output_ += line + "\n";
    std::smatch m;
    if (std::regex_search(line, m, kListening)) port_ = m[1];
  }
  drain_ = std::thread([this] {
    for (std::string line; std::getline(*in_, line);) {
      std::lock_guard lock(mutex_);
      later_ += line + "\n";
      more_.notify_all();
    }
  });
}

std::string ServerProcess::all_output() const {
  std::lock_guard lock(mutex_);
  return output_ + later_;
}

bool ServerProcess::await_output(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return more_.wait_for(lock, timeout, [&] {
    return later_.find(text) != std::string::npos || output_.find(text) != std::string::npos;
  });
}

ServerProcess::~ServerProcess() {
  if (handle_) {
    try {
      Poco::Process::kill(*handle_);
      handle_->wait();
    } catch (...) {
      // Already gone.
    }
  }
  if (drain_.joinable()) drain_.join();
}

int ServerProcess::pid() const {
  return handle_ ? handle_->id() : -1;
}

void ServerProcess::signal(int sig) const {
  if (handle_) ::kill(handle_->id(), sig);
}

int ServerProcess::wait() {
  const int code = handle_->wait();
  handle_.reset();
  drain_.join();
  return code;
}

int ServerProcess::terminate() {
  signal(SIGTERM);
  return wait();
}

}  // namespace linkgate::testing
