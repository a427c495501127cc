#pragma once

#include <string>
#include <string_view>

namespace linkgate::util {

/// @p text escaped for the inside of a JSON string (quotes, backslash, control characters).
std::string json_escape(std::string_view text);

/// Appends @p text, escaped as json_escape does, to @p out (no string of its own in between).
void append_json_escaped(std::string& out, std::string_view text);

/// Appends @p text as the inside of a JSON string: what is not well-formed UTF-8 replaced by
/// U+FFFD (util::valid_utf8), then escaped; well-formed text (nearly all) is not copied first.
void append_json_text(std::string& out, std::string_view text);

}  // namespace linkgate::util
