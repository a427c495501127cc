#include "cli/arguments.h"

#include <algorithm>
#include <cctype>

namespace linkgate::cli {

std::optional<std::string> Arguments::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> Arguments::count(const std::string& name, std::size_t fallback,
                                            std::string& problem) const {
  auto text = option(name);
  if (!text) return fallback;
  const bool digits =
      !text->empty() && text->size() <= 10 &&
      std::all_of(text->begin(), text->end(), [](unsigned char c) { return std::isdigit(c); });
  const std::size_t n = digits ? std::stoull(*text) : 0;
  if (n == 0 || n > 1'000'000'000) {
    problem = "--" + name + ": expected a positive number, got " + *text;
    return std::nullopt;
  }
  return n;
}

std::string Arguments::config_file() const {
  return option("config").value_or("configs/linkgate.yaml");
}

Arguments parse_arguments(const std::vector<std::string>& args, const std::set<std::string>& valued,
                          const std::set<std::string>& flags) {
  Arguments out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.words.insert(out.words.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                       args.end());
      return out;
    }
    if (arg == "-h" || arg == "--help") {
      out.flags.insert("help");
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.words.push_back(arg);
      continue;
    }
    std::string name = arg == "-c" ? "config" : arg.rfind("--", 0) == 0 ? arg.substr(2) : "";
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "config" || valued.count(name)) {
      if (!value) {
        if (i + 1 >= args.size()) {
          out.problem = arg + " needs a value";
          return out;
        }
        value = args[++i];
      }
      out.options[name] = *value;
    } else if (flags.count(name) && !value) {
      out.flags.insert(name);
    } else {
      out.problem = "unknown option " + arg;
      return out;
    }
  }
  return out;
}

}  // namespace linkgate::cli
