#pragma once

#include <cstddef>
#include <string_view>

namespace linkgate::flow {

/// How many SMS segments @p text takes: GSM 03.38 (160 alone, 153 per part; `^{}[]~|\` and
/// the euro sign count twice) when every character is in that alphabet, else UCS-2 (70 / 67).
std::size_t sms_segments(std::string_view utf8_text);

}  // namespace linkgate::flow
