#pragma once

#include <string>
#include <string_view>

namespace linkgate::util {

/// @p text with every byte sequence that is not well-formed UTF-8 (stray continuation bytes,
/// overlong forms, surrogates, code points past U+10FFFF, truncated sequences) replaced by
/// U+FFFD, so that it can be written into JSON or a log line as text.
std::string valid_utf8(std::string_view text);
/// Whether @p text is well-formed UTF-8 as it is (valid_utf8 would return it unchanged).
bool is_valid_utf8(std::string_view text);

}  // namespace linkgate::util
