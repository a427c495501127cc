#pragma once
// Many files made durable by one sync: each writer writes and renames its file without an
// fsync of its own, then waits here for a syncfs(2) of the folder's filesystem that started
// after its rename. One sync runs at a time and covers every writer waiting for it, so N
// concurrent files cost about one journal commit instead of N (bench/micro/file_bench).
// Files are written for it by util::write_file_for_folder_sync (util/files.h).

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

namespace linkgate::util {

class FolderSync {
 public:
  /// Opens @p folder (which must exist) to sync its filesystem. Throws std::runtime_error when
  /// it cannot be opened.
  explicit FolderSync(const std::string& folder);
  ~FolderSync();
  FolderSync(const FolderSync&) = delete;
  FolderSync& operator=(const FolderSync&) = delete;

  /// Returns once everything written to the filesystem before the call is on disk: "" then,
  /// or why not (the sync failed; the caller should treat its write as not done). Blocks;
  /// thread-safe.
  std::string wait_durable();

  /// How many syncs have run (for tests).
  [[nodiscard]] std::uint64_t syncs() const;

 private:
  int folder_fd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable synced_;
  bool syncing_ = false;
  std::uint64_t started_ = 0;   // syncs begun
  std::uint64_t finished_ = 0;  // syncs ended (they run one at a time, so in order)
  std::uint64_t failed_ = 0;    // the last sync that failed, 0 if none
  std::string failure_;
};

}  // namespace linkgate::util
