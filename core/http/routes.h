#pragma once
// The endpoints of http-api.md: a table from method and path to a function that reads a Request
// and fills a Response.

#include <string>
#include <utility>
#include <vector>

#include "http/exchange.h"
#include "wiring/runtime.h"

namespace linkgate::http {

/// Answers @p request against @p runtime. Never throws: unexpected failures become 500.
Response dispatch(const Request& request, wiring::Runtime& runtime);

/// The route label used in metrics for @p path ("other" for unknown paths, so a scanner
/// cannot grow the label set). One of route_labels(): it lives as long as the program, so its
/// address tells the labels apart.
const std::string& route_label(const std::string& path);
/// Every label route_label() gives.
std::vector<const std::string*> route_labels();

/// Every (method, path) the server answers, for checking them against docs/openapi.yaml. HEAD is
/// answered wherever GET is, without a body, and is not listed.
std::vector<std::pair<std::string, std::string>> routes();

}  // namespace linkgate::http
