#pragma once
// Typed, validating access to one YAML mapping. Every read declares its key; finish() reports
// the keys nobody declared, so a typo is an error rather than a silently ignored setting.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/duration.h"
#include "config/env_expand.h"

namespace linkgate::config {

/// 1-based line of @p node, or 0 when yaml-cpp has no mark for it.
int line_of(const YAML::Node& node);
/// "mapping", "list", "null" or "scalar": how error messages name a node's shape.
const char* shape_of(const YAML::Node& node);

class MapReader {
 public:
  /// @p node may be undefined or null (then every key takes its default); anything but a
  /// mapping is reported. @p fallback_line is used for errors when the node has no line.
  MapReader(YAML::Node node, std::string path, Diagnostics& diagnostics, const EnvLookup& env,
            int fallback_line = 0);

  std::string string(const std::string& key, const std::string& fallback);
  std::optional<std::string> optional_string(const std::string& key);
  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  bool boolean(const std::string& key, bool fallback);
  Duration duration(const std::string& key, Duration fallback);
  Rate rate(const std::string& key, Rate fallback);
  BackoffRange backoff(const std::string& key, BackoffRange fallback);
  /// A list of scalars; a single scalar is taken as a list of one.
  std::vector<std::string> strings(const std::string& key, std::vector<std::string> fallback);
  /// The nested mapping under @p key (empty when absent).
  MapReader map(const std::string& key);
  /// Declares @p key and returns its raw node (undefined when absent), for lists of mappings.
  YAML::Node raw(const std::string& key);

  /// Reports every key that no call above declared. Call once, after reading.
  void finish();

  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] std::string path_of(const std::string& key) const;
  [[nodiscard]] int line() const { return line_; }
  [[nodiscard]] int line_of_key(const std::string& key) const;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] Diagnostics& diagnostics() { return diagnostics_; }
  [[nodiscard]] const EnvLookup& env() const { return env_; }

  /// A scalar of @p key, environment-expanded; nullopt when absent or on error (reported).
  std::optional<std::string> scalar(const std::string& key, const char* expected);

 private:
  void error(const std::string& key, const std::string& message);

  YAML::Node node_;
  std::string path_;
  Diagnostics& diagnostics_;
  const EnvLookup& env_;
  int line_;
  std::set<std::string> declared_;
};

/// Parses a scalar as a whole 64-bit integer; nullopt on anything else.
std::optional<std::int64_t> parse_integer(const std::string& text);
/// Parses true/false (also yes/no, on/off as YAML 1.1 does); nullopt on anything else.
std::optional<bool> parse_boolean(const std::string& text);

}  // namespace linkgate::config
