#include "http/request_id.h"

#include <Poco/Net/IPAddress.h>

#include <algorithm>

#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::http {
namespace {

bool from_trusted_proxy(const std::string& peer, const std::vector<config::AddressRange>& trusted) {
  Poco::Net::IPAddress address;
  if (trusted.empty() || !Poco::Net::IPAddress::tryParse(peer, address)) return false;
  return std::any_of(trusted.begin(), trusted.end(),
                     [&](const config::AddressRange& range) { return range.contains(address); });
}

bool usable(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
           c == '-';
  });
}

}  // namespace

std::string request_id(const Request& request, const std::vector<config::AddressRange>& trusted) {
  if (from_trusted_proxy(request.peer, trusted)) {
    const auto sent = request.headers_named("X-Request-Id");
    // Exactly one: two would mean someone upstream added theirs to the client's.
    if (sent.size() == 1 && usable(sent.front())) return sent.front();
  }
  return util::base64url_encode(util::random_bytes(16));
}

}  // namespace linkgate::http
