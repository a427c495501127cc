#pragma once
// Request bodies and queries as flat name -> value maps: strict JSON objects and
// application/x-www-form-urlencoded.

#include <map>
#include <string>

#include "linkgate/sdk/result.h"

namespace linkgate::http {

using Fields = std::map<std::string, std::string>;

/// Parses a flat JSON object whose values are strings (numbers and booleans are taken as their
/// text as written; null members are left out). Nested objects or arrays, a member named twice
/// (which a proxy in front could read differently), and anything that is not one object are
/// refused (ErrorCode::invalid, the message says why, for the client).
sdk::Result<Fields> parse_json_fields(const std::string& body);
/// Parses application/x-www-form-urlencoded; refuses more than 32 fields or a bad %-escape.
sdk::Result<Fields> parse_form_fields(const std::string& body);

}  // namespace linkgate::http
