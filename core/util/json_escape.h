#pragma once

#include <string>
#include <string_view>

namespace linkgate::util {

/// @p text escaped for the inside of a JSON string (quotes, backslash, control characters).
std::string json_escape(std::string_view text);

}  // namespace linkgate::util
