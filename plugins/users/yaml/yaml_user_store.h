#pragma once
// A fixed list of users from a YAML file, for small appliances. Read once per configuration
// load (a SIGHUP re-reads it); sign-up is not possible.

#include <map>
#include <string>
#include <vector>

#include "linkgate/sdk/sdk.h"

namespace linkgate::plugins::yaml {

class YamlUserStore final : public sdk::UserStore {
 public:
  /// Reads @p file: a list of `{ id, email, phone, locale, disabled }`. Throws std::runtime_error
  /// listing every problem with its line (missing id, duplicate id, e-mail or phone, malformed
  /// values).
  explicit YamlUserStore(const std::string& file);

  sdk::Result<sdk::User> find(const sdk::Identifier& identifier) override;
  sdk::Result<sdk::User> get(std::string_view id) override;
  sdk::Result<sdk::User> create(const sdk::Identifier& identifier) override;
  sdk::Result<void> ready() override;
  sdk::Result<sdk::UserPage> list(std::string_view after, std::size_t limit) override;
  /// Unsupported: the file is the store. Set `disabled: true` there and reload.
  sdk::Result<void> set_disabled(std::string_view id, bool disabled) override;
  /// Unsupported: delete the entry from the file and reload.
  sdk::Result<void> remove(std::string_view id) override;

  [[nodiscard]] std::size_t size() const { return users_.size(); }

 private:
  std::string file_;
  std::vector<sdk::User> users_;
  std::map<std::string, std::size_t, std::less<>> by_id_, by_email_, by_phone_;
};

}  // namespace linkgate::plugins::yaml
