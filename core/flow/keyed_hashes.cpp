#include "flow/keyed_hashes.h"

#include "util/crypto.h"

namespace linkgate::flow {

std::string KeyedHashes::code(const std::string& flow_id, const std::string& code) const {
  return util::to_hex(key_.mac("otp:" + flow_id + ":" + code));
}

std::string KeyedHashes::identifier(const sdk::Identifier& identifier) const {
  return util::to_hex(key_.mac(std::string("identifier:") + sdk::to_string(identifier.kind) + ":" +
                               identifier.value));
}

std::string KeyedHashes::short_link(const std::string& key) const {
  return util::to_hex(key_.mac("short-link:" + key));
}

}  // namespace linkgate::flow
