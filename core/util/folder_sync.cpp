#include "util/folder_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "util/blocking.h"

namespace linkgate::util {

FolderSync::FolderSync(const std::string& folder)
    : folder_fd_(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
  if (folder_fd_ < 0) {
    throw std::runtime_error("cannot open " + folder + ": " + std::strerror(errno));
  }
}

FolderSync::~FolderSync() {
  ::close(folder_fd_);
}

std::string FolderSync::wait_durable() {
  about_to_block();
  std::unique_lock lock(mutex_);
  // A sync already running may have begun before this caller's write: only the next one
  // to begin is sure to hold it.
  const std::uint64_t needed = started_ + 1;
  while (finished_ < needed) {
    if (syncing_) {
      synced_.wait(lock);
      continue;
    }
    syncing_ = true;
    const std::uint64_t mine = ++started_;
    lock.unlock();
    const int rc = ::syncfs(folder_fd_);
    const int error = errno;
    lock.lock();
    syncing_ = false;
    finished_ = mine;
    if (rc != 0) {
      failed_ = mine;
      failure_ = std::string("syncfs: ") + std::strerror(error);
    }
    synced_.notify_all();
  }
  // Conservative: a failure of the sync that held this write, or of any after it, fails it.
  return failed_ >= needed ? failure_ : std::string();
}

std::uint64_t FolderSync::syncs() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

}  // namespace linkgate::util
