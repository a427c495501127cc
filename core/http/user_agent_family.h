#pragma once
// The family of a User-Agent, as a metric label: a short name from a fixed set, so a client
// cannot make up label values (and series) by sending new user agents.

#include <string>
#include <string_view>

namespace linkgate::http {

/// "none" for an empty header; a link scanner's or preview bot's name (microsoft_office,
/// bing_preview, proofpoint, mimecast, barracuda, google_safety, slack, ...); a browser's
/// (chrome, firefox, safari, edge, opera, headless_chrome); a tool's (curl, python, go, wget);
/// "bot" for anything else calling itself a bot, crawler or spider; "other" otherwise.
std::string user_agent_family(std::string_view user_agent);

}  // namespace linkgate::http
