#include "csv_directory.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace csv_directory {
namespace {

using linkgate::sdk::ErrorCode;
using linkgate::sdk::fail;

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

std::string read(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

Directory parse_directory(const std::string& text) {
  Directory d;
  std::istringstream in(text);
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string f; std::getline(row, f, ',');) fields.push_back(trim(f));
    fields.resize(4);
    const std::string where = "line " + std::to_string(line_number) + ": ";
    linkgate::sdk::User u{fields[0], fields[1], fields[2], fields[3]};
    std::transform(u.email.begin(), u.email.end(), u.email.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (u.id.empty() || (u.email.empty() && u.phone.empty()))
      throw std::runtime_error(where + "an id and an e-mail or phone are required");
    if (!u.phone.empty() && u.phone.front() != '+')
      throw std::runtime_error(where + "phone numbers are E.164 (+ and digits)");
    if (!d.by_id.emplace(u.id, u).second) throw std::runtime_error(where + "duplicate id " + u.id);
    if (!u.email.empty() && !d.id_by_email.emplace(u.email, u.id).second)
      throw std::runtime_error(where + "duplicate e-mail");
    if (!u.phone.empty() && !d.id_by_phone.emplace(u.phone, u.id).second)
      throw std::runtime_error(where + "duplicate phone");
  }
  return d;
}

CsvDirectory::CsvDirectory(std::string file, linkgate::sdk::HostServices& host)
    : file_(std::move(file)), host_(host) {
  directory_ = parse_directory(read(file_));
  std::error_code ec;
  loaded_at_ = std::filesystem::last_write_time(file_, ec);
}

void CsvDirectory::refresh() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return;
  next_check_ = now + std::chrono::seconds(1);
  std::error_code ec;
  const auto changed = std::filesystem::last_write_time(file_, ec);
  if (ec || changed == loaded_at_) return;
  try {
    directory_ = parse_directory(read(file_));
    loaded_at_ = changed;
    problem_.clear();
    host_.logger().info("re-read " + file_ + ": " + std::to_string(directory_.by_id.size()) +
                        " users");
  } catch (const std::exception& e) {
    // Keep serving the last good directory; say why in the log and in ready().
    problem_ = e.what();
    host_.logger().error(file_ + ": " + problem_ + " (still using the previous version)");
  }
}

linkgate::sdk::Result<linkgate::sdk::User> CsvDirectory::find(const linkgate::sdk::Identifier& id) {
  std::lock_guard lock(mutex_);
  refresh();
  const auto& index = id.kind == linkgate::sdk::AddressKind::email ? directory_.id_by_email
                                                                   : directory_.id_by_phone;
  auto it = index.find(id.value);
  if (it == index.end()) return fail(ErrorCode::not_found, "");
  return directory_.by_id.at(it->second);
}

linkgate::sdk::Result<linkgate::sdk::User> CsvDirectory::get(std::string_view id) {
  std::lock_guard lock(mutex_);
  refresh();
  auto it = directory_.by_id.find(std::string(id));
  if (it == directory_.by_id.end()) return fail(ErrorCode::not_found, "");
  return it->second;
}

linkgate::sdk::Result<linkgate::sdk::User> CsvDirectory::create(const linkgate::sdk::Identifier&) {
  return fail(ErrorCode::unsupported, "the CSV directory is read-only");
}

linkgate::sdk::Result<void> CsvDirectory::ready() {
  std::lock_guard lock(mutex_);
  refresh();
  if (!problem_.empty()) return fail(ErrorCode::unavailable, problem_);
  return linkgate::sdk::success();
}

}  // namespace csv_directory
