#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::util {
namespace {

std::string ensure_parent(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return "";
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return "cannot create folder " + parent.string() + ": " + ec.message();
  return "";
}

std::string write_all(int fd, const std::string& content, bool sync) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::strerror(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (!sync) return "";
  return ::fsync(fd) == 0 ? "" : std::strerror(errno);
}

// The folder must exist.
std::string write_then_rename(const std::string& path, const std::string& content, unsigned mode,
                              bool sync) {
  std::string temp = path + ".tmp-" + to_hex(random_bytes(6));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return "cannot create " + temp + ": " + std::strerror(errno);
  std::string error = write_all(fd, content, sync);
  ::close(fd);
  if (error.empty() && ::rename(temp.c_str(), path.c_str()) != 0) error = std::strerror(errno);
  if (!error.empty()) {
    ::unlink(temp.c_str());
    return "cannot write " + path + ": " + error;
  }
  return "";
}

std::atomic<bool> g_link_by_descriptor{true};

// Gives the unnamed file @p fd the name @p path. linkat(AT_EMPTY_PATH) names the open file
// itself; before Linux 6.10 only a process with CAP_DAC_READ_SEARCH may, and everyone else
// names it by /proc/self/fd/N — a path walk through /proc, a few microseconds more per file.
// Once that way works where the first did not, it is the only way tried.
bool link_unnamed(int fd, const std::string& path) {
  if (g_link_by_descriptor.load(std::memory_order_relaxed)) {
    if (::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0) return true;
    if (errno != ENOENT && errno != EPERM) return false;
  }
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return false;
  }
  g_link_by_descriptor.store(false, std::memory_order_relaxed);
  return true;
}

}  // namespace

void link_unnamed_files_by_proc_path_only(bool only) {
  g_link_by_descriptor.store(!only, std::memory_order_relaxed);
}

std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode) {
  if (auto e = ensure_parent(path); !e.empty()) return e;
  return write_then_rename(path, content, mode, true);
}

std::string write_file_for_folder_sync(const std::string& path, const std::string& content,
                                       unsigned mode) {
  // An unnamed file, linked under its name once written: one change to the folder instead of
  // two (a temporary name, then a rename) — each a turn on the folder's lock, which a busy
  // outbox's workers queue for — and no partial file under any name. A filesystem without
  // unnamed files, a missing /proc, or a name already there (a message written again after a
  // restart: the rename replaces it) takes the temporary name. The folder is made only when
  // the unnamed file could not be: not a look at it per message.
  auto folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  const int fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd >= 0) {
    std::string error = write_all(fd, content, false);
    const bool linked = error.empty() && link_unnamed(fd, path);
    ::close(fd);
    if (!error.empty()) return "cannot write " + path + ": " + error;
    if (linked) return "";
  } else if (auto e = ensure_parent(path); !e.empty()) {
    return e;
  }
  return write_then_rename(path, content, mode, false);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string private_file_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";  // missing: nothing to expose
  const unsigned mode = st.st_mode & 0777;
  if ((mode & 077) == 0) return "";
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", mode);
  return path + " is readable or writable by group or others (mode " + octal +
         "): a key or secret must be private to its owner — run chmod 600 " + path;
}

std::optional<std::string> create_or_read_secret(const std::string& path,
                                                 const std::string& content, std::string& error) {
  if (auto problem = private_file_problem(path); !problem.empty()) {
    error = problem;
    return std::nullopt;
  }
  if (auto existing = read_file(path)) return existing;
  if (auto e = ensure_parent(path); !e.empty()) {
    error = e;
    return std::nullopt;
  }
  // Write a private temp file, then link() it into place: link fails if the name exists, so a
  // concurrent starter either wins or reads the winner's complete file.
  std::string temp = path + ".tmp-" + to_hex(random_bytes(6));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create " + temp + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string write_error = write_all(fd, content, true);
  ::close(fd);
  if (write_error.empty() && ::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    write_error = std::strerror(errno);
  }
  ::unlink(temp.c_str());
  if (!write_error.empty()) {
    error = "cannot write " + path + ": " + write_error;
    return std::nullopt;
  }
  auto result = read_file(path);
  if (!result) error = "cannot read " + path;
  return result;
}

}  // namespace linkgate::util
