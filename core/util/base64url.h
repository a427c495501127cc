#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace linkgate::util {

/// RFC 4648 §5 base64url without padding.
std::string base64url_encode(std::string_view bytes);
/// Decodes unpadded base64url; nullopt on any character outside the alphabet or a bad length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace linkgate::util
