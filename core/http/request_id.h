#pragma once
// Every request's id, returned in X-Request-Id and carried by every log line and audit event
// written for it.

#include <string>
#include <vector>

#include "config/address_range.h"
#include "http/message.h"

namespace linkgate::http {

/// The X-Request-Id a trusted proxy (@p trusted) sent, when it is 1 to 128 characters of
/// [A-Za-z0-9._:-]; otherwise a new random id (22 base64url characters). A client that is not a
/// trusted proxy cannot choose the id its requests are logged under.
std::string request_id(const Request& request, const std::vector<config::AddressRange>& trusted);

}  // namespace linkgate::http
