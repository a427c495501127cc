#pragma once
// The keyed hashes the flow stores instead of secrets: of each code, of each identifier (so the
// audit log and the limits can tell identifiers apart without naming them) and of each short SMS
// link key. HMAC-SHA-256 under the deployment's secret, hex; a different label per use, so no
// hash can stand in for another.

#include <string>

#include "linkgate/sdk/types.h"
#include "util/crypto.h"

namespace linkgate::flow {

class KeyedHashes {
 public:
  /// @p secret: security.secret_file's bytes (at least 32).
  explicit KeyedHashes(std::string_view secret) : key_(secret) {}

  /// Of the @p code sent for the flow @p flow_id.
  [[nodiscard]] std::string code(const std::string& flow_id, const std::string& code) const;
  /// Of a normalised identifier, its kind included.
  [[nodiscard]] std::string identifier(const sdk::Identifier& identifier) const;
  /// Of the random key of a short SMS link (without its `c.` prefix).
  [[nodiscard]] std::string short_link(const std::string& key) const;

 private:
  util::HmacSha256Key key_;
};

}  // namespace linkgate::flow
