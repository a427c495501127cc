#pragma once
// What decides a redeem, as pure functions: whether a flow can still be completed, what a token
// strategy's error means for the person holding the link, and what a code must look like.

#include <cstdint>
#include <optional>
#include <string>

#include "flow/flow_record.h"
#include "flow/outcome.h"
#include "linkgate/sdk/result.h"

namespace linkgate::flow {

/// @p flow if it is pending and unexpired at @p now; else why not (used, superseded,
/// attempts_exhausted, expired).
Outcome<Flow> check_live(Flow flow, std::int64_t now);

/// What a token strategy's @p code means to the flow. unavailable and internal name the
/// dependency that failed in the Problem's detail, for the log.
Problem token_problem(sdk::ErrorCode code, const std::string& message);

/// A code request's shape: a flow id (at most 64 characters) and exactly @p length digits.
std::optional<Problem> check_code_shape(const std::string& flow_id, const std::string& code,
                                        int length);

/// The core's own short SMS links: `c.` and 22 base64url characters (a 16-byte key).
bool is_short_link(const std::string& token);
/// The key of a short link (what follows `c.`). Precondition: is_short_link(token).
std::string short_link_key(const std::string& token);
/// The token of a short link with @p key.
std::string short_link_token(const std::string& key);

}  // namespace linkgate::flow
