#pragma once
// Who else writes a database file: each taker-part holds a shared lock on a file beside it.

#include <string>

namespace linkgate::sql {

/// Membership in the set of writers of one database file, kept as a shared open-file-description
/// lock (F_OFD_SETLK) on the first byte of @p file for as long as this object lives: the kernel
/// drops it when the process dies, however it dies, and two objects in one process count as two
/// members (each opens the file itself).
class ProcessRoster {
 public:
  /// Opens (creating it 0600 when missing; never through a symbolic link) @p file and joins.
  /// Throws std::runtime_error naming the file when it cannot.
  explicit ProcessRoster(const std::string& file);
  ~ProcessRoster();
  ProcessRoster(const ProcessRoster&) = delete;
  ProcessRoster& operator=(const ProcessRoster&) = delete;

  /// Whether any other member holds the file now. One system call; thread-safe. Throws
  /// std::runtime_error when the kernel cannot tell (then assume there are).
  [[nodiscard]] bool others_present() const;

  /// The file beside the SQLite database @p database_file.
  static std::string file_for(const std::string& database_file);

 private:
  int fd_;
};

}  // namespace linkgate::sql
