#include "host/pid_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace linkgate::host {

PidFile::PidFile(std::string path) : path_(std::move(path)) {
  const std::string temporary = path_ + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << ::getpid() << "\n";
    if (!out.flush()) {
      throw std::runtime_error("server.pid_file: cannot write " + temporary + ": " +
                               std::strerror(errno));
    }
  }
  // Readable by the operator's tools whatever the server's umask (0077).
  ::chmod(temporary.c_str(), 0644);
  std::error_code ec;
  std::filesystem::rename(temporary, path_, ec);
  if (ec) throw std::runtime_error("server.pid_file: cannot write " + path_ + ": " + ec.message());
}

PidFile::~PidFile() {
  std::ifstream in(path_);
  long pid = 0;
  if (in >> pid && pid == static_cast<long>(::getpid())) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
}

}  // namespace linkgate::host
