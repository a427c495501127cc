#pragma once
// `server.pid_file`: the server's process id, for `linkgate reload` (and any init system that
// wants one). Written once listening, removed at exit.

#include <string>

namespace linkgate::host {

class PidFile {
 public:
  /// Writes this process's id to @p path (through a temporary file and a rename, mode 0644, so a
  /// reader never sees half a number). Throws std::runtime_error when it cannot.
  explicit PidFile(std::string path);
  /// Removes the file — unless another process has written its own id there since.
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
};

}  // namespace linkgate::host
