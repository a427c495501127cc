#include "config/address_range.h"

#include <Poco/Exception.h>

#include <cstring>

namespace linkgate::config {

Poco::Net::IPAddress unmapped(const Poco::Net::IPAddress& address) {
  if (address.family() != Poco::Net::IPAddress::IPv6 || !address.isIPv4Mapped()) return address;
  const auto* bytes = static_cast<const unsigned char*>(address.addr());
  return Poco::Net::IPAddress(bytes + 12, 4);
}

bool AddressRange::contains(const Poco::Net::IPAddress& candidate) const {
  const auto address = unmapped(candidate);
  if (address.family() != network.family()) return false;
  try {
    const Poco::Net::IPAddress mask(prefix_bits, network.family());
    return (address & mask) == (network & mask);
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::optional<AddressRange> parse_address_range(const std::string& text) {
  const auto slash = text.find('/');
  Poco::Net::IPAddress network;
  if (!Poco::Net::IPAddress::tryParse(text.substr(0, slash), network)) return std::nullopt;
  network = unmapped(network);
  const unsigned most = network.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
  unsigned bits = most;
  if (slash != std::string::npos) {
    const std::string digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    bits = static_cast<unsigned>(std::stoul(digits));
    if (bits > most) return std::nullopt;
  }
  return AddressRange{network, bits};
}

}  // namespace linkgate::config
