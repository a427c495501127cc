#pragma once
// Parsing and normalising what a user types: an e-mail address or an E.164 phone number.

#include <optional>
#include <string>
#include <string_view>

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"

namespace linkgate::identity {

/// A normalised identifier, or why the input is not one (for the 400 invalid_request text).
/// E-mail: a practical subset of RFC 5321 (dot-atom local part of at most 64 characters, an
/// ASCII domain of letter/digit/hyphen labels with a dot), lower-cased. Phone: `+` and 7 to 15
/// digits (E.164); spaces, dots, hyphens and parentheses between digits are dropped. Any
/// control character (CR, LF, NUL, ...) is refused.
sdk::Result<sdk::Identifier> parse_identifier(std::string_view input);

/// `a***@example.com` / `+1555***67`: enough for a person to recognise, for pages and logs.
std::string mask(const sdk::Identifier& identifier);

}  // namespace linkgate::identity
