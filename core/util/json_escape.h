#pragma once

#include <string>
#include <string_view>

namespace linkgate::util {

/// @p text escaped for the inside of a JSON string (quotes, backslash, control characters).
std::string json_escape(std::string_view text);

/// Appends @p text, escaped as json_escape does, to @p out (no string of its own in between).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace linkgate::util
