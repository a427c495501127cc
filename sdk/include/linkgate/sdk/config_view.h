#pragma once
/// @file
/// How a plugin declares its configuration keys and reads its `config:` block.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linkgate::sdk {

/// The type of a declared configuration key; the host parses and checks values against it.
/// Values are part of the ABI: append only.
enum class ConfigType {
  string = 0,       ///< Any scalar, as text.
  integer = 1,      ///< A whole number (64-bit signed).
  boolean = 2,      ///< true / false.
  duration = 3,     ///< `250ms`, `90s`, `15m`, `1h`, `7d`; read with ConfigView::get_duration.
  string_list = 4,  ///< A YAML sequence of scalars.
  string_map = 5,   ///< A YAML mapping of scalar keys to scalar values (e.g. HTTP headers).
  secret = 6,       ///< Like string, but never printed by the host (passwords, API tokens).
};

/// Returns the lower-case name of @p type as shown by `linkgate plugins`.
constexpr const char* to_string(ConfigType type) noexcept {
  switch (type) {
    case ConfigType::string:
      return "string";
    case ConfigType::integer:
      return "integer";
    case ConfigType::boolean:
      return "boolean";
    case ConfigType::duration:
      return "duration";
    case ConfigType::string_list:
      return "list";
    case ConfigType::string_map:
      return "map";
    case ConfigType::secret:
      return "secret";
  }
  return "unknown";
}

/// One entry of a plugin's configuration table. Plugins keep a static array of these; the host
/// rejects keys that are not in the table and values that do not match the declared type.
/// Only C types, so that the table can live in static storage of the plugin library.
struct ConfigKey {
  const char* name;           ///< The key inside the plugin's `config:` block.
  ConfigType type;            ///< What the value must be.
  const char* default_value;  ///< Written as in YAML (`"10s"`, `"587"`); nullptr = no default.
  bool required;              ///< A file that omits a required key is refused at startup.
  const char* description;    ///< One sentence for `linkgate plugins` and generated docs.
};

/// Read-only view of a plugin's validated `config:` block, with declared defaults applied.
///
/// Thread safety: all methods are const and safe to call from any thread. The view is valid
/// only during the plugin factory call; copy out what you need.
/// Errors: a getter returns std::nullopt when the key has neither a value nor a default, or
/// when it is read with a type other than the declared one.
class ConfigView {
 public:
  virtual ~ConfigView() = default;

  /// True when the key was written in the file (not merely defaulted).
  [[nodiscard]] virtual bool is_set(std::string_view key) const = 0;
  /// A `string` or `secret` key (any scalar key, as text).
  [[nodiscard]] virtual std::optional<std::string> get_string(std::string_view key) const = 0;
  /// An `integer` key.
  [[nodiscard]] virtual std::optional<std::int64_t> get_int(std::string_view key) const = 0;
  /// A `boolean` key.
  [[nodiscard]] virtual std::optional<bool> get_bool(std::string_view key) const = 0;
  /// A `duration` key.
  [[nodiscard]] virtual std::optional<std::chrono::milliseconds> get_duration(
      std::string_view key) const = 0;
  /// A `string_list` key; empty when unset.
  [[nodiscard]] virtual std::vector<std::string> get_list(std::string_view key) const = 0;
  /// A `string_map` key; empty when unset.
  [[nodiscard]] virtual std::map<std::string, std::string> get_map(std::string_view key) const = 0;
  /// The YAML path of this block (`delivery[1].config`), for the plugin's own error messages.
  [[nodiscard]] virtual std::string path() const = 0;
  /// Resolves a relative path from the file (data files, key dirs) against the deployment's
  /// `data_dir`, or the server's working directory when the file sets none; absolute paths are
  /// returned normalised.
  [[nodiscard]] virtual std::string resolve_path(std::string_view path) const = 0;
};

}  // namespace linkgate::sdk
