#include "config/data_paths.h"

#include <filesystem>

#include "config/settings.h"

namespace linkgate::config {

std::string resolve_against(std::string_view base, std::string_view path) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(base) / p).lexically_normal().string();
}

std::string absolute_data_dir(std::string_view written, std::string_view config_file) {
  std::filesystem::path folder = std::filesystem::path(config_file).parent_path();
  if (folder.empty() || !folder.is_absolute()) folder = std::filesystem::current_path() / folder;
  return resolve_against(folder.string(), written);
}

void resolve_data_paths(Settings& s) {
  if (s.data_dir.empty()) return;
  auto resolve = [&](std::string& path) {
    if (!path.empty()) path = resolve_against(s.data_dir, path);
  };
  resolve(s.server.tls_cert_file);
  resolve(s.server.tls_key_file);
  resolve(s.server.admin.token_file);
  resolve(s.server.pid_file);
  resolve(s.session.keys_dir);
  resolve(s.security.secret_file);
  resolve(s.templates.dir);
  resolve(s.log.audit_file);
  for (auto& path : s.plugin_search_paths) resolve(path);
  // `sqlite:FILE`; a PostgreSQL URL names no file.
  constexpr std::string_view kSqlite = "sqlite:";
  if (s.outbox.store.rfind(kSqlite, 0) == 0) {
    std::string file = s.outbox.store.substr(kSqlite.size());
    if (file != ":memory:")
      s.outbox.store = std::string(kSqlite) + resolve_against(s.data_dir, file);
  }
  s.token.base_dir = s.data_dir;
  s.users.base_dir = s.data_dir;
  for (auto& use : s.delivery) use.base_dir = s.data_dir;
}

}  // namespace linkgate::config
