// The linkgate users plugin "csv-directory": declared keys and factory.
#include "csv_directory.h"

namespace {

constexpr linkgate::sdk::ConfigKey kConfigKeys[] = {
    {"file", linkgate::sdk::ConfigType::string, nullptr, true,
     "The CSV export: id,email,phone,locale per line."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  const std::string file = context.config.resolve_path(*context.config.get_string("file"));
  try {
    return linkgate::sdk::make_instance(
        std::make_unique<csv_directory::CsvDirectory>(file, context.host));
  } catch (const std::exception& e) {
    return linkgate::sdk::fail(linkgate::sdk::ErrorCode::invalid, std::string("file: ") + e.what());
  }
}

}  // namespace

LINKGATE_PLUGIN(user_store, "csv-directory", "0.1.0",
                "A read-only user directory from a CSV export, re-read when it changes",
                kConfigKeys, create)
