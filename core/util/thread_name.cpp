#include "util/thread_name.h"

#include <pthread.h>

#include <cstring>

namespace linkgate::util {

void name_this_thread(const char* name) noexcept {
  char cut[16] = {};
  std::strncpy(cut, name, sizeof cut - 1);
  pthread_setname_np(pthread_self(), cut);
}

}  // namespace linkgate::util
