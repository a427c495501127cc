#pragma once
// Addresses out of log text: what a mail server or an SMS gateway says about a failure often
// quotes the recipient ("550 5.1.1 <bob@example.com>: user unknown", a JSON body echoing "to"),
// and a log line must never carry one.

#include <string>
#include <string_view>

namespace linkgate::util {

/// @p text with every e-mail address replaced by `[address]` and every run of 7 or more digits
/// (a phone number, with or without `+`) by `[number]`.
std::string redact_addresses(std::string_view text);

}  // namespace linkgate::util
