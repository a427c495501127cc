#pragma once

#include <string>
#include <vector>

namespace linkgate::config {

/// One problem in a config file: `delivery[1].config.port: expected an integer, got "abc" (line
/// 31)`.
struct ConfigError {
  std::string path;
  std::string message;
  int line = 0;  // 1-based; 0 when unknown
  [[nodiscard]] std::string to_string() const;
};

/// Collects every problem in a file, so startup can report them all at once.
class Diagnostics {
 public:
  void add(std::string path, std::string message, int line) {
    errors_.push_back({std::move(path), std::move(message), line});
  }
  [[nodiscard]] bool ok() const { return errors_.empty(); }
  [[nodiscard]] const std::vector<ConfigError>& errors() const { return errors_; }
  /// All errors, one per line.
  [[nodiscard]] std::string to_string() const;

 private:
  std::vector<ConfigError> errors_;
};

}  // namespace linkgate::config
