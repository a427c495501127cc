#pragma once
// An IP address or a CIDR range (`192.0.2.7`, `10.0.0.0/8`, `2001:db8::/32`), as written in
// server.trusted_proxies.

#include <Poco/Net/IPAddress.h>

#include <optional>
#include <string>

namespace linkgate::config {

struct AddressRange {
  Poco::Net::IPAddress network;
  unsigned prefix_bits = 32;

  /// Whether @p address lies in the range (an IPv4-mapped IPv6 address counts as its IPv4).
  [[nodiscard]] bool contains(const Poco::Net::IPAddress& address) const;
};

/// @p text as a range; nullopt when it is neither an address nor address/prefix.
std::optional<AddressRange> parse_address_range(const std::string& text);

/// @p address with an IPv4-mapped IPv6 address (`::ffff:192.0.2.7`) turned into its IPv4.
Poco::Net::IPAddress unmapped(const Poco::Net::IPAddress& address);

}  // namespace linkgate::config
