#pragma once
// One plugin shared library, loaded with Boost.DLL and checked before it is trusted.

#include <filesystem>
#include <memory>
#include <string>
#include <variant>

#include <boost/dll/shared_library.hpp>

#include "linkgate/sdk/plugin.h"

namespace linkgate::plugin_host {

/// A loaded, ABI-checked plugin library. Copies share the library; it stays loaded while any
/// copy, or any object created from it, lives.
struct PluginLibrary {
  std::shared_ptr<boost::dll::shared_library> library;
  const sdk::PluginDescriptor* descriptor = nullptr;
  std::string file;
};

/// Loads @p file as a linkgate plugin. Never throws and never crashes on a bad file: the error
/// string names the file and says what is wrong (not a shared library, no `linkgate_plugin`
/// symbol, an ABI built for another SDK, a descriptor that makes no sense).
std::variant<PluginLibrary, std::string> load_plugin_library(const std::filesystem::path& file);

/// The file name a plugin of @p kind and @p name is expected under: linkgate-KIND-NAME.so.
std::string plugin_file_name(sdk::PluginKind kind, const std::string& name);

}  // namespace linkgate::plugin_host
