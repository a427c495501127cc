#include "http/client_address.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>

#include <optional>

namespace linkgate::http {
namespace {

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string> split(const std::string& s, char by) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const auto next = s.find(by, at);
    out.push_back(trimmed(s.substr(at, next == std::string::npos ? next : next - at)));
    if (next == std::string::npos) return out;
    at = next + 1;
  }
}

// A hop as an address: `192.0.2.7`, `192.0.2.7:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`,
// `2001:db8::1`. Nothing else (RFC 7239's `unknown` and `_obfuscated` included).
std::optional<Poco::Net::IPAddress> address_of(std::string hop) {
  if (hop.size() >= 2 && hop.front() == '"' && hop.back() == '"')
    hop = hop.substr(1, hop.size() - 2);
  if (!hop.empty() && hop.front() == '[') {
    const auto close = hop.find(']');
    if (close == std::string::npos) return std::nullopt;
    const std::string rest = hop.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() == 1 ||
                          rest.find_first_not_of("0123456789", 1) != std::string::npos)) {
      return std::nullopt;
    }
    hop = hop.substr(1, close - 1);
  } else if (const auto colon = hop.find(':');
             colon != std::string::npos && hop.rfind(':') == colon) {
    // One colon: an IPv4 address and a port. (More: an IPv6 address, read as it is.)
    if (colon + 1 == hop.size() ||
        hop.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
      return std::nullopt;
    }
    hop = hop.substr(0, colon);
  }
  Poco::Net::IPAddress address;
  if (hop.empty() || !Poco::Net::IPAddress::tryParse(hop, address)) return std::nullopt;
  return config::unmapped(address);
}

bool is_trusted(const Poco::Net::IPAddress& address,
                const std::vector<config::AddressRange>& trusted) {
  for (const auto& range : trusted) {
    if (range.contains(address)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> forwarded_hops(const std::vector<std::string>& lines,
                                        ForwardedHeader header) {
  std::vector<std::string> hops;
  for (const auto& line : lines) {
    for (const auto& element : split(line, ',')) {
      if (header == ForwardedHeader::x_forwarded_for) {
        hops.push_back(element);
        continue;
      }
      std::string hop;  // an element without for= still stands for a hop nobody named
      for (const auto& pair : split(element, ';')) {
        const auto equals = pair.find('=');
        if (equals == std::string::npos) continue;
        if (Poco::icompare(trimmed(pair.substr(0, equals)), "for") == 0) {
          hop = trimmed(pair.substr(equals + 1));
        }
      }
      hops.push_back(hop);
    }
  }
  return hops;
}

std::string client_address(const Request& request, const std::vector<config::AddressRange>& trusted,
                           ForwardedHeader header) {
  const auto peer = address_of(request.peer);
  if (!peer) return request.peer;
  Poco::Net::IPAddress current = *peer;
  if (trusted.empty() || !is_trusted(current, trusted)) return current.toString();
  const auto hops = forwarded_hops(
      request.headers_named(header == ForwardedHeader::forwarded ? "Forwarded" : "X-Forwarded-For"),
      header);
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    const auto address = address_of(*hop);
    if (!address) break;  // the trusted proxy at `current` wrote something that is no address
    current = *address;
    if (!is_trusted(current, trusted)) break;
  }
  return current.toString();
}

}  // namespace linkgate::http
