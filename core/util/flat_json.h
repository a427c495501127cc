#pragma once
// The claims of a signed token: one flat JSON object of scalar members, read without building a
// JSON document. Poco's parser (a Var per member, a map, a string stream) was 3-5 % of a link
// redeem's or a session check's CPU (docs/performance.md); this reads the object in one pass.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linkgate::util {

/// One member of a flat JSON object.
struct JsonMember {
  enum class Kind { string, number, boolean, null };
  std::string name;  ///< decoded
  Kind kind = Kind::null;
  std::string value;  ///< a string decoded; a number, true or false as written; null empty
};

/// A JSON object whose members are strings, numbers, booleans or null (RFC 8259).
class FlatJsonObject {
 public:
  /// The object @p text holds, or nothing when it is not exactly one such object (white space
  /// around it aside): a nested object or array, a member named twice (which two parsers could
  /// read differently), a control character inside a string, a lone surrogate escape, anything
  /// after the closing brace. Bytes of 0x80 and above inside strings are taken as they are.
  static std::optional<FlatJsonObject> parse(std::string_view text);

  /// The member @p name's text when it is a string; null when absent or not a string.
  [[nodiscard]] const std::string* string(std::string_view name) const noexcept;
  /// The member @p name when it is an integer (no fraction, no exponent) that fits 64 bits.
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name) const noexcept;
  [[nodiscard]] bool has(std::string_view name) const noexcept;
  [[nodiscard]] const std::vector<JsonMember>& members() const noexcept { return members_; }

 private:
  [[nodiscard]] const JsonMember* find(std::string_view name) const noexcept;
  std::vector<JsonMember> members_;
};

}  // namespace linkgate::util
