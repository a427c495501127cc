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

// 16 random bytes per id, drawn 256 ids at a time: each draw from OpenSSL costs a getpid()
// system call (its fork check), once per request otherwise. Ids are not secrets; a child that
// forked with a half-used batch could only repeat an id in its own log.
std::string fresh_random_id() {
  constexpr std::size_t kIdBytes = 16, kBatch = 256;
  thread_local std::string batch;
  thread_local std::size_t used = 0;
  if (used + kIdBytes > batch.size()) {
    batch = util::random_bytes(kIdBytes * kBatch);
    used = 0;
  }
  std::string_view id(batch.data() + used, kIdBytes);
  used += kIdBytes;
  return util::base64url_encode(id);
}

}  // namespace

std::string request_id(const Request& request, const std::vector<config::AddressRange>& trusted) {
  if (from_trusted_proxy(request.peer, trusted)) {
    const auto sent = request.headers_named("X-Request-Id");
    // Exactly one: two would mean someone upstream added theirs to the client's.
    if (sent.size() == 1 && usable(sent.front())) return sent.front();
  }
  return fresh_random_id();
}

}  // namespace linkgate::http
