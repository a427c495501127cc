#include "config/diagnostics.h"

namespace linkgate::config {

std::string ConfigError::to_string() const {
  std::string out = path.empty() ? message : path + ": " + message;
  if (line > 0) out += " (line " + std::to_string(line) + ")";
  return out;
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const auto& e : errors_) out += e.to_string() + "\n";
  return out;
}

}  // namespace linkgate::config
