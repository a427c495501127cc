#include "config/env_expand.h"

#include <cctype>
#include <cstdlib>

namespace linkgate::config {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {
bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}
}  // namespace

Expansion expand_environment(std::string_view text, const EnvLookup& env) {
  Expansion out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto start = text.find("${", i);
    if (start == std::string_view::npos) {
      out.value.append(text.substr(i));
      break;
    }
    out.value.append(text.substr(i, start - i));
    auto close = text.find('}', start + 2);
    if (close == std::string_view::npos) {
      out.error = "unterminated ${ in \"" + std::string(text) + "\"";
      return out;
    }
    std::string_view inner = text.substr(start + 2, close - start - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
    }
    if (!valid_name(name)) {
      out.error = "malformed environment reference ${" + std::string(inner) + "}";
      return out;
    }
    if (auto value = env(std::string(name))) {
      out.value.append(*value);
    } else if (fallback) {
      out.value.append(*fallback);
    } else {
      out.error = "environment variable " + std::string(name) + " is not set";
      return out;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace linkgate::config
