#include "config/yaml_reader.h"

#include "linkgate/config/plugin_block.h"

#include <algorithm>
#include <charconv>

namespace linkgate::config {

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  auto mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

const char* shape_of(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "a scalar";
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  return plugin_block::parse_integer(text);
}

std::optional<bool> parse_boolean(const std::string& text) {
  return plugin_block::parse_boolean(text);
}

MapReader::MapReader(YAML::Node node, std::string path, Diagnostics& diagnostics,
                     const EnvLookup& env, int fallback_line)
    : node_(std::move(node)),
      path_(std::move(path)),
      diagnostics_(diagnostics),
      env_(env),
      line_(line_of(node_) ? line_of(node_) : fallback_line) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    diagnostics_.add(path_, std::string("expected a mapping, got ") + shape_of(node_), line_);
    node_ = YAML::Node();
  }
}

bool MapReader::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

std::string MapReader::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

int MapReader::line_of_key(const std::string& key) const {
  if (node_.IsMap()) {
    int l = line_of(node_[key]);
    if (l) return l;
  }
  return line_;
}

void MapReader::error(const std::string& key, const std::string& message) {
  diagnostics_.add(path_of(key), message, line_of_key(key));
}

std::optional<std::string> MapReader::scalar(const std::string& key, const char* expected) {
  declared_.insert(key);
  if (!has(key)) return std::nullopt;
  YAML::Node n = node_[key];
  if (!n.IsScalar()) {
    error(key, std::string("expected ") + expected + ", got " + shape_of(n));
    return std::nullopt;
  }
  auto expanded = expand_environment(n.Scalar(), env_);
  if (!expanded.error.empty()) {
    error(key, expanded.error);
    return std::nullopt;
  }
  return expanded.value;
}

std::string MapReader::string(const std::string& key, const std::string& fallback) {
  return optional_string(key).value_or(fallback);
}

std::optional<std::string> MapReader::optional_string(const std::string& key) {
  return scalar(key, "a string");
}

std::int64_t MapReader::integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) {
  auto s = scalar(key, "an integer");
  if (!s) return fallback;
  auto v = parse_integer(*s);
  if (!v) {
    error(key, "expected an integer, got \"" + *s + "\"");
    return fallback;
  }
  if (*v < min || *v > max) {
    error(key,
          "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + *s);
    return fallback;
  }
  return *v;
}

bool MapReader::boolean(const std::string& key, bool fallback) {
  auto s = scalar(key, "true or false");
  if (!s) return fallback;
  auto v = parse_boolean(*s);
  if (!v) {
    error(key, "expected true or false, got \"" + *s + "\"");
    return fallback;
  }
  return *v;
}

Duration MapReader::duration(const std::string& key, Duration fallback) {
  auto s = scalar(key, "a duration");
  if (!s) return fallback;
  auto v = parse_duration(*s);
  if (!v) {
    error(key, "expected a duration such as 90s, 15m, 1h or 7d, got \"" + *s + "\"");
    return fallback;
  }
  return *v;
}

Rate MapReader::rate(const std::string& key, Rate fallback) {
  auto s = scalar(key, "a rate");
  if (!s) return fallback;
  auto v = parse_rate(*s);
  if (!v) {
    error(key, "expected a rate such as 5/15m, got \"" + *s + "\"");
    return fallback;
  }
  return *v;
}

BackoffRange MapReader::backoff(const std::string& key, BackoffRange fallback) {
  auto s = scalar(key, "a backoff range");
  if (!s) return fallback;
  auto v = parse_backoff(*s);
  if (!v) {
    error(key, "expected a backoff range such as 2s..10m, got \"" + *s + "\"");
    return fallback;
  }
  return *v;
}

std::vector<std::string> MapReader::strings(const std::string& key,
                                            std::vector<std::string> fallback) {
  declared_.insert(key);
  if (!has(key)) return fallback;
  YAML::Node n = node_[key];
  if (n.IsScalar()) {
    auto s = scalar(key, "a list of strings");
    return s ? std::vector<std::string>{*s} : fallback;
  }
  if (!n.IsSequence()) {
    error(key, std::string("expected a list of strings, got ") + shape_of(n));
    return fallback;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    if (!n[i].IsScalar()) {
      diagnostics_.add(item_path, std::string("expected a string, got ") + shape_of(n[i]),
                       line_of(n[i]));
      continue;
    }
    auto expanded = expand_environment(n[i].Scalar(), env_);
    if (!expanded.error.empty()) {
      diagnostics_.add(item_path, expanded.error, line_of(n[i]));
      continue;
    }
    out.push_back(expanded.value);
  }
  return out;
}

MapReader MapReader::map(const std::string& key) {
  declared_.insert(key);
  YAML::Node child = node_.IsMap() ? node_[key] : YAML::Node();
  return MapReader(child, path_of(key), diagnostics_, env_, line_of_key(key));
}

YAML::Node MapReader::raw(const std::string& key) {
  declared_.insert(key);
  return node_.IsMap() ? node_[key] : YAML::Node();
}

void MapReader::finish() {
  if (!node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (!declared_.count(key)) {
      diagnostics_.add(path_of(key), "unknown key", line_of(it->first));
    }
  }
}

}  // namespace linkgate::config
