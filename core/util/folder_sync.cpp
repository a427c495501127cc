#include "util/folder_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "util/blocking.h"
#include "util/crypto.h"

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

std::string write_file_for_folder_sync(const std::string& path, const std::string& content,
                                       unsigned mode) {
  std::error_code ec;  // a folder removed since is made again, as write_file_atomically does
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  const std::string temp = path + ".tmp-" + to_hex(random_bytes(6));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return "cannot create " + temp + ": " + std::strerror(errno);
  std::string error;
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (error.empty() && ::rename(temp.c_str(), path.c_str()) != 0) error = std::strerror(errno);
  if (!error.empty()) {
    ::unlink(temp.c_str());
    return "cannot write " + path + ": " + error;
  }
  return "";
}

}  // namespace linkgate::util
