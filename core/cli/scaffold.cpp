#include "cli/scaffold.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <utility>
#include <vector>

#include "cli/scaffold/example_files.h"

namespace linkgate::cli {
namespace {

using Renames = std::vector<std::pair<std::string, std::string>>;

std::string fill(std::string text, const Renames& renames) {
  for (const auto& [key, value] : renames) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  }
  return text;
}

// How an example plugin's names become the new plugin's (longest, most specific first). The
// scaffold test checks that no example name is left in what is written.
Renames example_renames(const std::string& kind, const std::string& name,
                        const std::string& ident) {
  if (kind == "token") {
    return {{"LINKGATE_PLUGIN(token_strategy, \"hmac\"",
             "LINKGATE_PLUGIN(token_strategy, \"" + name + "\""},
            {"linkgate-token-hmac", "linkgate-token-" + name},
            {"linkgate_add_plugin(token hmac ", "linkgate_add_plugin(token " + name + " "},
            {"plugin: hmac,", "plugin: " + name + ","},
            {"# hmac ", "# " + name + " "},
            {"{\"hmac\",", "{\"" + ident + "\","},
            {"plugin \"hmac\"", "plugin \"" + name + "\""},
            {"hmac-token", name},
            {"hmac_token", ident}};
  }
  if (kind == "delivery") {
    return {{"linkgate-delivery-webhook", "linkgate-delivery-" + name},
            {"linkgate_add_plugin(delivery webhook ", "linkgate_add_plugin(delivery " + name + " "},
            {"c.name = \"webhook\"", "c.name = \"" + ident + "\""},
            {"\"webhook\"", "\"" + name + "\""},
            {"plugin: webhook", "plugin: " + name},
            {"# webhook ", "# " + name + " "},
            {"namespace webhook", "namespace " + ident},
            {"webhook::", ident + "::"},
            {"webhook_", ident + "_"}};
  }
  return {{"linkgate-users-csv-directory", "linkgate-users-" + name},
          {"csv-directory", name},
          {"csv_directory", ident}};
}

}  // namespace

std::map<std::string, std::string> scaffold_files(const std::string& kind, const std::string& name,
                                                  std::string& problem) {
  if (!std::regex_match(name, std::regex("[a-z][a-z0-9-]{0,39}"))) {
    problem = "--name: lower-case letters, digits and '-', starting with a letter (at most 40)";
    return {};
  }
  if (kind != "delivery" && kind != "token" && kind != "users") {
    problem = "--kind: delivery, token or users";
    return {};
  }
  std::string ident = name;
  std::replace(ident.begin(), ident.end(), '-', '_');
  // Every kind starts from an example plugin that CI builds and tests (webhook, hmac-token,
  // csv-directory), its names replaced by the new plugin's.
  const Renames renames = example_renames(kind, name, ident);
  std::map<std::string, std::string> files;
  for (const auto& file : scaffold::kExampleFiles) {
    if (kind == file.kind) files[fill(file.path, renames)] = fill(file.content, renames);
  }
  return files;
}

int new_plugin(const std::string& kind, const std::string& name, const std::filesystem::path& dir,
               std::ostream& out, std::ostream& err) {
  std::string problem;
  auto files = scaffold_files(kind, name, problem);
  if (files.empty()) {
    err << "new-plugin: " << problem << "\n";
    return 2;
  }
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    err << "new-plugin: " << dir.string() << " exists and is not empty\n";
    return 1;
  }
  for (const auto& [path, content] : files) {
    const auto file = dir / path;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::ofstream stream(file, std::ios::binary);
    stream << content;
    if (!stream) {
      err << "new-plugin: cannot write " << file.string() << "\n";
      return 1;
    }
    out << "wrote " << file.string() << "\n";
  }
  out << "\nnext:\n"
      << "  cmake -S " << dir.string() << " -B " << (dir / "build").string()
      << " -DCMAKE_PREFIX_PATH=<where the linkgate SDK is installed>\n"
      << "  cmake --build " << (dir / "build").string() << "\n"
      << "  ctest --test-dir " << (dir / "build").string() << "\n";
  return 0;
}

}  // namespace linkgate::cli
