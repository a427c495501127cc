// Built as a library of its own with its own copy of util/blocking, the way a plugin is.
#include "util/blocking.h"

extern "C" __attribute__((visibility("default"))) void probe_about_to_block() {
  linkgate::util::about_to_block();
}
