#pragma once
// A read-only user directory from a CSV export: one `id,email,phone,locale` line per user,
// `#` comments and blank lines ignored. The file is read again when it changes (checked at most
// once a second), so a nightly export needs no restart.

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "linkgate/sdk/sdk.h"

namespace csv_directory {

struct Directory {
  std::map<std::string, linkgate::sdk::User> by_id;
  std::map<std::string, std::string> id_by_email, id_by_phone;
};

/// Parses @p text; throws std::runtime_error naming the line of the first bad entry.
Directory parse_directory(const std::string& text);

class CsvDirectory final : public linkgate::sdk::UserStore {
 public:
  /// Reads @p file now; throws std::runtime_error when it cannot be read or parsed.
  explicit CsvDirectory(std::string file, linkgate::sdk::HostServices& host);

  linkgate::sdk::Result<linkgate::sdk::User> find(const linkgate::sdk::Identifier& id) override;
  linkgate::sdk::Result<linkgate::sdk::User> get(std::string_view id) override;
  /// Read-only: unsupported.
  linkgate::sdk::Result<linkgate::sdk::User> create(const linkgate::sdk::Identifier& id) override;
  linkgate::sdk::Result<void> ready() override;

 private:
  void refresh();

  std::string file_;
  linkgate::sdk::HostServices& host_;
  std::mutex mutex_;
  Directory directory_;
  std::filesystem::file_time_type loaded_at_{};
  std::chrono::steady_clock::time_point next_check_{};
  std::string problem_;  // the last reload's error, for ready()
};

}  // namespace csv_directory
