#include "util/semaphore.h"

#include <cerrno>
#include <ctime>
#include <system_error>

namespace linkgate::util {

Semaphore::Semaphore(std::size_t initial) {
  if (::sem_init(&semaphore_, 0, static_cast<unsigned>(initial)) != 0)
    throw std::system_error(errno, std::generic_category(), "sem_init");
}

Semaphore::~Semaphore() {
  ::sem_destroy(&semaphore_);
}

bool Semaphore::try_acquire_for(std::chrono::milliseconds patience) noexcept {
  if (::sem_trywait(&semaphore_) == 0) return true;
  timespec deadline{};
  ::clock_gettime(CLOCK_MONOTONIC, &deadline);
  const auto ms = patience.count();
  deadline.tv_sec += static_cast<time_t>(ms / 1000);
  deadline.tv_nsec += static_cast<long>(ms % 1000) * 1'000'000;
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000;
  }
  while (::sem_clockwait(&semaphore_, CLOCK_MONOTONIC, &deadline) != 0) {
    if (errno != EINTR) return false;  // ETIMEDOUT
  }
  return true;
}

void Semaphore::release(std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) ::sem_post(&semaphore_);
}

}  // namespace linkgate::util
