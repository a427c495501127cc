#include "host/host_services.h"

#include "util/crypto.h"

namespace linkgate::host {

std::string OpenSslRandom::bytes(std::size_t count) noexcept {
  return util::random_bytes(count);
}

}  // namespace linkgate::host
