#pragma once
// Who the client is, behind proxies: the peer, unless the peer is a trusted proxy; then the
// forwarding header (every line of it, in order) is walked from its right end — the hop each
// trusted proxy appended — back over trusted proxies, and the first address that is not one is
// the client. Anything that is not an IP address stops the walk at the proxy that wrote it.

#include <string>
#include <vector>

#include "config/address_range.h"
#include "http/message.h"

namespace linkgate::http {

enum class ForwardedHeader { x_forwarded_for, forwarded };

/// The client's address for @p request (normalised, e.g. `2001:db8::1`), given the proxies
/// whose forwarding header is believed and which header they write.
std::string client_address(const Request& request, const std::vector<config::AddressRange>& trusted,
                           ForwardedHeader header);

/// The hops of a forwarding header, left (first client) to right (last proxy): every line
/// joined; for `Forwarded` (RFC 7239) the `for=` of each element, unquoted. A hop is kept as
/// written — a port, brackets or garbage are dealt with when it is read as an address.
std::vector<std::string> forwarded_hops(const std::vector<std::string>& lines,
                                        ForwardedHeader header);

}  // namespace linkgate::http
