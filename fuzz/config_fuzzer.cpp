// The configuration loader (yaml-cpp and the key tables): never crashes on any file; a refusal
// always lists at least one problem.
#include <cstdlib>
#include <string>

#include "config/settings_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  linkgate::config::Diagnostics diagnostics;
  auto settings = linkgate::config::load_settings_text(yaml, "fuzz.yaml", diagnostics);
  if (!settings && diagnostics.ok()) std::abort();
  return 0;
}
