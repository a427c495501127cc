#include "plugin_host/plugin_host.h"

#include <filesystem>
#include <regex>

namespace linkgate::plugin_host {

PluginHost::PluginHost(std::vector<std::string> search_paths)
    : search_paths_(std::move(search_paths)) {}

std::variant<PluginLibrary, std::string> PluginHost::find(sdk::PluginKind kind,
                                                          const std::string& name) {
  static const std::regex kName(R"(^[a-z0-9][a-z0-9_\-]{0,63}$)");
  if (!std::regex_match(name, kName)) {
    return "plugin name \"" + name + "\" is not valid (lower-case letters, digits, - and _)";
  }
  const std::string file_name = plugin_file_name(kind, name);
  std::string searched;
  for (const auto& dir : search_paths_) {
    std::filesystem::path candidate = std::filesystem::path(dir) / file_name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(candidate, ec)) {
      searched += (searched.empty() ? "" : ", ") + candidate.string();
      continue;
    }
    std::string key = std::filesystem::absolute(candidate, ec).lexically_normal().string();
    {
      std::lock_guard lock(mutex_);
      if (auto it = loaded_.find(key); it != loaded_.end()) return it->second;
    }
    auto loaded = load_plugin_library(candidate);
    if (auto* error = std::get_if<std::string>(&loaded)) return *error;
    auto& plugin = std::get<PluginLibrary>(loaded);
    if (plugin.descriptor->kind != kind || plugin.descriptor->name != name) {
      return "plugin " + candidate.string() + " says it is " +
             sdk::to_string(plugin.descriptor->kind) + " plugin \"" + plugin.descriptor->name +
             "\", not " + sdk::to_string(kind) + " plugin \"" + name + "\"";
    }
    std::lock_guard lock(mutex_);
    loaded_.emplace(key, plugin);
    return plugin;
  }
  return std::string("no ") + sdk::to_string(kind) + " plugin \"" + name + "\": looked for " +
         (searched.empty() ? file_name + " (plugins.search_paths is empty)" : searched);
}

std::vector<PluginHost::Found> PluginHost::discover() {
  std::vector<Found> out;
  for (const auto& dir : search_paths_) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      auto name = it->path().filename().string();
      if (name.rfind("linkgate-", 0) == 0 && it->path().extension() == ".so")
        files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.push_back({f.string(), load_plugin_library(f)});
  }
  return out;
}

std::variant<sdk::PluginInstance, std::string> create_instance(const PluginLibrary& plugin,
                                                               const sdk::PluginContext& context) {
  const auto* d = plugin.descriptor;
  const std::string who =
      std::string(sdk::to_string(d->kind)) + " plugin " + d->name + " (" + plugin.file + ")";
  sdk::Result<sdk::PluginInstance> made = sdk::fail(sdk::ErrorCode::internal, "not called");
  try {
    made = d->create(context);
  } catch (const std::exception& e) {
    return who + ": factory threw: " + e.what();
  } catch (...) {
    return who + ": factory threw a non-standard exception";
  }
  if (!made.ok()) return who + ": " + made.error().message;
  auto& instance = made.value();
  bool right_kind = false;
  switch (d->kind) {
    case sdk::PluginKind::token_strategy:
      right_kind = instance.token_strategy != nullptr;
      break;
    case sdk::PluginKind::delivery_channel:
      right_kind = instance.delivery_channel != nullptr;
      break;
    case sdk::PluginKind::user_store:
      right_kind = instance.user_store != nullptr;
      break;
  }
  if (!right_kind) return who + ": factory returned no " + sdk::to_string(d->kind) + " object";
  return std::move(instance);
}

}  // namespace linkgate::plugin_host
