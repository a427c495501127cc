#pragma once
// Whether files hold a piece of text anywhere in their bytes: for tests that promise a secret
// left the disk.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace linkgate::testing {

/// True when the file at @p path holds @p text (false when it cannot be read).
inline bool file_holds(const std::filesystem::path& path, const std::string& text) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return bytes.find(text) != std::string::npos;
}

/// True when any file directly in @p folder holds @p text.
inline bool any_file_holds(const std::filesystem::path& folder, const std::string& text) {
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.is_regular_file() && file_holds(entry.path(), text)) return true;
  }
  return false;
}

}  // namespace linkgate::testing
