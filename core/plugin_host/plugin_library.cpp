#include "plugin_host/plugin_library.h"

#include <cstring>

namespace linkgate::plugin_host {

std::string plugin_file_name(sdk::PluginKind kind, const std::string& name) {
  return std::string("linkgate-") + sdk::to_string(kind) + "-" + name + ".so";
}

namespace {
bool plausible_text(const char* s) {
  return s != nullptr && std::strlen(s) > 0 && std::strlen(s) < 256;
}
}  // namespace

std::variant<PluginLibrary, std::string> load_plugin_library(const std::filesystem::path& file) {
  const std::string where = "plugin " + file.string() + ": ";
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    std::error_code ec;
    library->load(file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec) return where + "cannot be loaded as a shared library (" + ec.message() + ")";
  } catch (const std::exception& e) {
    return where + "cannot be loaded as a shared library (" + e.what() + ")";
  }
  if (!library->has("linkgate_plugin")) {
    return where + "is not a linkgate plugin: it exports no linkgate_plugin symbol";
  }
  const sdk::PluginDescriptor* descriptor = nullptr;
  try {
    auto& describe = library->get_alias<const sdk::PluginDescriptor*() noexcept>("linkgate_plugin");
    descriptor = describe();
  } catch (const std::exception& e) {
    return where + "its linkgate_plugin entry failed: " + e.what();
  }
  if (descriptor == nullptr) return where + "its linkgate_plugin entry returned no descriptor";
  if (descriptor->abi_version != sdk::kAbiVersion) {
    // Only the first member is trusted here; sdk_version too is kept in place by every ABI.
    std::string built_with =
        plausible_text(descriptor->sdk_version) ? descriptor->sdk_version : "an unknown SDK";
    return where + "was built against linkgate SDK " + built_with + " (plugin ABI " +
           std::to_string(descriptor->abi_version) + "), but this server runs SDK " +
           sdk::kSdkVersion + " (plugin ABI " + std::to_string(sdk::kAbiVersion) +
           "); rebuild the plugin against this SDK";
  }
  if (!plausible_text(descriptor->build_signature) ||
      std::strcmp(descriptor->build_signature, sdk::kBuildSignature) != 0) {
    const std::string built_with = plausible_text(descriptor->build_signature)
                                       ? descriptor->build_signature
                                       : "an unknown compiler and standard library";
    return where + "was built with " + built_with + ", but this server was built with " +
           sdk::kBuildSignature +
           "; rebuild the plugin with the same compiler, standard library and C++ standard";
  }
  if (static_cast<int>(descriptor->kind) < 0 || static_cast<int>(descriptor->kind) > 2 ||
      !plausible_text(descriptor->name) || !plausible_text(descriptor->version) ||
      descriptor->create == nullptr ||
      (descriptor->config_key_count > 0 && descriptor->config_keys == nullptr)) {
    return where + "has a malformed descriptor (kind, name, version or factory missing)";
  }
  for (std::size_t i = 0; i < descriptor->config_key_count; ++i) {
    if (!plausible_text(descriptor->config_keys[i].name)) {
      return where + "declares a config key without a name";
    }
  }
  return PluginLibrary{std::move(library), descriptor, file.string()};
}

}  // namespace linkgate::plugin_host
