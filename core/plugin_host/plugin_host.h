#pragma once
// Finds plugins by kind and name in the search paths and creates their objects.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugin_host/plugin_library.h"

namespace linkgate::plugin_host {

class PluginHost {
 public:
  explicit PluginHost(std::vector<std::string> search_paths);

  /// The library for @p kind / @p name: the first linkgate-KIND-NAME.so in the search paths.
  /// Loaded once and cached. The error names every place that was searched, or the bad file.
  std::variant<PluginLibrary, std::string> find(sdk::PluginKind kind, const std::string& name);

  /// Every linkgate-*.so in the search paths, loaded or with the reason it could not be.
  struct Found {
    std::string file;
    std::variant<PluginLibrary, std::string> plugin;
  };
  std::vector<Found> discover();

  [[nodiscard]] const std::vector<std::string>& search_paths() const { return search_paths_; }

 private:
  std::vector<std::string> search_paths_;
  std::mutex mutex_;
  std::map<std::string, PluginLibrary> loaded_;  // by file
};

/// An object made by a plugin. Its deleter destroys the object first, then releases what the
/// object may still use (the plugin's services), then the library: nothing outlives its code.
template <class T>
using PluginObject = std::shared_ptr<T>;

/// Calls the plugin's factory (its exceptions contained) and takes ownership of what it makes.
/// @p keep_alive is held until the object is destroyed (the services the plugin was given).
/// Fails with a message naming the plugin when the factory fails, throws, or makes nothing of
/// the declared kind.
std::variant<sdk::PluginInstance, std::string> create_instance(const PluginLibrary& plugin,
                                                               const sdk::PluginContext& context);

template <class T>
PluginObject<T> adopt(std::unique_ptr<T> object, const PluginLibrary& plugin,
                      std::shared_ptr<void> keep_alive) {
  auto library = plugin.library;
  return PluginObject<T>(object.release(), [library, keep_alive](T* p) mutable {
    delete p;            // runs the plugin's destructor while its code is loaded
    keep_alive.reset();  // then the services it used
    library.reset();     // then, if this was the last object, the library may go
  });
}

}  // namespace linkgate::plugin_host
