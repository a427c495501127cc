#include "session/revocation_watch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace linkgate::session {
namespace {

constexpr off_t kFileSize = 4096;

std::atomic_ref<std::uint64_t> shared(std::uint64_t* mapped) {
  return std::atomic_ref<std::uint64_t>(*mapped);
}

}  // namespace

std::string revocation_counter_file(const std::string& database_file) {
  return database_file + "-revocations";
}

RevocationWatch::RevocationWatch(const std::string& counter_file)
    : fd_(::open(counter_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
  if (fd_ < 0) {
    throw std::runtime_error("cannot open " + counter_file + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot read " + counter_file + ": " + error);
  }
  // Whoever can write the counter can set it back and revive remembered answers. Checked
  // before anything is written to it: a refused file is left exactly as it was found.
  if ((st.st_mode & 022) != 0 || st.st_uid != ::geteuid()) {
    ::close(fd_);
    throw std::runtime_error(counter_file +
                             " may be written by another user: chmod 600 it, owned by the server");
  }
  // Growing a shorter file fills it with zeros; two instances starting at once both write
  // the same size, and neither shrinks it.
  if (st.st_size < kFileSize && ::ftruncate(fd_, kFileSize) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot size " + counter_file + ": " + error);
  }
  void* mapped = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (mapped == MAP_FAILED) {
    const std::string error = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot map " + counter_file + ": " + error);
  }
  mapped_ = static_cast<std::uint64_t*>(mapped);
  revoked();
}

RevocationWatch::~RevocationWatch() {
  ::munmap(mapped_, kFileSize);
  ::close(fd_);
}

std::uint64_t RevocationWatch::counter() const noexcept {
  return shared(mapped_).load(std::memory_order_seq_cst);
}

void RevocationWatch::revoked() noexcept {
  shared(mapped_).fetch_add(1, std::memory_order_seq_cst);
}

RevocationWatch::Shard& RevocationWatch::shard_for(std::string_view jti) {
  return shards_[Hash{}(jti) % kShards];
}

bool RevocationWatch::known_not_revoked(std::string_view jti, std::uint64_t counter) {
  Shard& shard = shard_for(jti);
  std::lock_guard lock(shard.mutex);
  return shard.counter == counter && shard.jtis.find(jti) != shard.jtis.end();
}

void RevocationWatch::remember_not_revoked(std::string_view jti, std::uint64_t counter) {
  Shard& shard = shard_for(jti);
  std::lock_guard lock(shard.mutex);
  if (counter < shard.counter) return;  // a revocation came since this check began
  if (counter > shard.counter || shard.jtis.size() >= kMostPerShard) {
    shard.jtis.clear();
    shard.counter = counter;
  }
  shard.jtis.emplace(jti);
}

}  // namespace linkgate::session
