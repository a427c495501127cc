#pragma once
// The words and options after a command: `users list --json --limit 10 --config=FILE`.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace linkgate::cli {

struct Arguments {
  std::vector<std::string> words;              // what is not an option, in order
  std::map<std::string, std::string> options;  // `--name value` or `--name=value`
  std::set<std::string> flags;                 // `--name` alone
  std::string problem;                         // why the line is wrong; empty when it is not

  [[nodiscard]] bool has(const std::string& flag) const { return flags.count(flag) > 0; }
  [[nodiscard]] std::optional<std::string> option(const std::string& name) const;
  /// Option @p name as a whole number from 1 to 1,000,000,000; @p fallback when it is absent;
  /// nullopt, with @p problem saying why, when it is anything else ("-5", "5x", "0").
  [[nodiscard]] std::optional<std::size_t> count(const std::string& name, std::size_t fallback,
                                                 std::string& problem) const;
  /// `--config`, or the development default.
  [[nodiscard]] std::string config_file() const;
};

/// Reads @p args. An option in @p valued takes the next word (or what follows `=`); one in
/// @p flags takes none (`-h` is `--help`); `--config`/`-c` and `--help` are always known. Any
/// other `-`word is a problem, as is a valued option without its value.
Arguments parse_arguments(const std::vector<std::string>& args, const std::set<std::string>& valued,
                          const std::set<std::string>& flags);

}  // namespace linkgate::cli
