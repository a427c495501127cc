#pragma once
// A helper server (SMTP, HTTP gateway, ...) run as a child process for one test. It must print
// `PORT <n>` on its first line of output; it is killed when the object goes.

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace linkgate::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args) {
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch(program, args, nullptr, &out_, nullptr));
    stream_ = std::make_unique<Poco::PipeInputStream>(out_);
    std::string line;
    while (std::getline(*stream_, line)) {
      if (line.rfind("PORT ", 0) == 0) {
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(5)));
        return;
      }
    }
    throw std::runtime_error(program + " exited before saying its port");
  }
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

  void stop() {
    if (!handle_) return;
    try {
      Poco::Process::kill(*handle_);
      handle_->wait();
    } catch (...) {
    }
    handle_.reset();
  }

 private:
  Poco::Pipe out_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  std::unique_ptr<Poco::PipeInputStream> stream_;
  std::uint16_t port_ = 0;
};

/// The python3 that has Debian's packages (aiosmtpd, jwt), whatever else is first on PATH.
inline const char* system_python() {
  return "/usr/bin/python3";
}

/// A TCP port nothing listens on right now (for "the server is down" tests).
std::uint16_t free_port();

}  // namespace linkgate::testing
