#include "sql/process_roster.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace linkgate::sql {
namespace {

struct flock first_byte(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 1;
  return lock;
}

}  // namespace

std::string ProcessRoster::file_for(const std::string& database_file) {
  return database_file + "-writers";
}

ProcessRoster::ProcessRoster(const std::string& file)
    : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
  if (fd_ < 0) throw std::runtime_error("cannot open " + file + ": " + std::strerror(errno));
  auto shared = first_byte(F_RDLCK);
  // Shared locks never conflict with each other: this waits for nothing.
  if (::fcntl(fd_, F_OFD_SETLK, &shared) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot lock " + file + ": " + error);
  }
}

ProcessRoster::~ProcessRoster() {
  ::close(fd_);  // the lock goes with the last descriptor of its open file description
}

bool ProcessRoster::others_present() const {
  // An exclusive lock would conflict with every other member's shared one, never with ours.
  auto probe = first_byte(F_WRLCK);
  if (::fcntl(fd_, F_OFD_GETLK, &probe) != 0) {
    throw std::runtime_error(std::string("cannot read the writers' lock: ") + std::strerror(errno));
  }
  return probe.l_type != F_UNLCK;
}

}  // namespace linkgate::sql
