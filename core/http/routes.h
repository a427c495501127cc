#pragma once
// The endpoints of http-api.md, each a function from an Exchange to a response.

#include "http/exchange.h"
#include "wiring/runtime.h"

namespace linkgate::http {

/// Answers one request against @p runtime. Never throws: unexpected failures become 500.
void dispatch(Exchange& exchange, wiring::Runtime& runtime);

/// The route label used in metrics for @p path ("other" for unknown paths, so a scanner
/// cannot grow the label set).
std::string route_label(const std::string& path);

}  // namespace linkgate::http
