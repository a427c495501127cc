#include "yaml_user_store.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace linkgate::plugins::yaml {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool plausible_email(const std::string& e) {
  auto at = e.find('@');
  return at != std::string::npos && at > 0 && e.find('.', at) != std::string::npos &&
         e.find_first_of(" \t\r\n<>\",;") == std::string::npos;
}

bool plausible_phone(const std::string& p) {
  return p.size() >= 8 && p.size() <= 16 && p[0] == '+' && p[1] != '0' &&
         std::all_of(p.begin() + 1, p.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

YamlUserStore::YamlUserStore(const std::string& file) : file_(file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(file + ": " + e.what());
  }
  if (!root.IsSequence()) throw std::runtime_error(file + ": expected a list of users");
  std::string problems;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const YAML::Node& entry = root[i];
    const std::string where =
        file + ": [" + std::to_string(i) + "] (line " + std::to_string(entry.Mark().line + 1) + ")";
    if (!entry.IsMap()) {
      problems += where + ": expected { id, email, phone, locale, disabled }\n";
      continue;
    }
    sdk::User u;
    for (auto it = entry.begin(); it != entry.end(); ++it) {
      const std::string key = it->first.as<std::string>("");
      if (!it->second.IsScalar()) {
        problems += where + "." + key + ": expected a string\n";
        continue;
      }
      const std::string value = it->second.Scalar();
      if (key == "id")
        u.id = value;
      else if (key == "email")
        u.email = lower(value);
      else if (key == "phone")
        u.phone = value;
      else if (key == "locale")
        u.locale = value;
      else if (key == "disabled" && (value == "true" || value == "false"))
        u.disabled = value == "true";
      else if (key == "disabled")
        problems += where + ".disabled: expected true or false\n";
      else
        problems += where + "." + key + ": unknown key (id, email, phone, locale, disabled)\n";
    }
    if (u.id.empty()) problems += where + ": id is required\n";
    if (u.email.empty() && u.phone.empty()) problems += where + ": needs an email or a phone\n";
    if (!u.email.empty() && !plausible_email(u.email))
      problems += where + ".email: not an e-mail address\n";
    if (!u.phone.empty() && !plausible_phone(u.phone))
      problems += where + ".phone: not an E.164 number (+15551234567)\n";
    const std::size_t index = users_.size();
    if (!u.id.empty() && !by_id_.emplace(u.id, index).second)
      problems += where + ": duplicate id " + u.id + "\n";
    if (!u.email.empty() && !by_email_.emplace(u.email, index).second)
      problems += where + ": duplicate email\n";
    if (!u.phone.empty() && !by_phone_.emplace(u.phone, index).second)
      problems += where + ": duplicate phone\n";
    users_.push_back(std::move(u));
  }
  if (!problems.empty()) throw std::runtime_error("user list problems:\n" + problems);
}

sdk::Result<sdk::User> YamlUserStore::find(const sdk::Identifier& identifier) {
  const auto& index = identifier.kind == sdk::AddressKind::email ? by_email_ : by_phone_;
  auto it = index.find(identifier.value);
  if (it == index.end()) return sdk::fail(sdk::ErrorCode::not_found, "no such user");
  return users_[it->second];
}

sdk::Result<sdk::User> YamlUserStore::get(std::string_view id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return sdk::fail(sdk::ErrorCode::not_found, "no such user");
  return users_[it->second];
}

sdk::Result<sdk::User> YamlUserStore::create(const sdk::Identifier&) {
  return sdk::fail(sdk::ErrorCode::unsupported,
                   "the yaml user list is fixed: add users to the file");
}

sdk::Result<sdk::UserPage> YamlUserStore::list(std::string_view after, std::size_t limit) {
  sdk::UserPage page;
  for (auto it = by_id_.upper_bound(after); it != by_id_.end() && page.users.size() < limit; ++it)
    page.users.push_back(users_[it->second]);
  if (page.users.size() == limit && by_id_.upper_bound(page.users.back().id) != by_id_.end())
    page.next_after = page.users.back().id;
  return page;
}

sdk::Result<void> YamlUserStore::set_disabled(std::string_view, bool) {
  return sdk::fail(sdk::ErrorCode::unsupported,
                   "the yaml user list is read-only: set `disabled: true` on the user in " + file_ +
                       " and reload (SIGHUP)");
}

sdk::Result<void> YamlUserStore::remove(std::string_view) {
  return sdk::fail(
      sdk::ErrorCode::unsupported,
      "the yaml user list is read-only: delete the user from " + file_ + " and reload (SIGHUP)");
}

sdk::Result<void> YamlUserStore::ready() {
  return sdk::success();
}

}  // namespace linkgate::plugins::yaml
