#include "util/unique_ids.h"

#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::util {

UniqueIds::UniqueIds() : prefix_(random_bytes(9)) {}

std::string UniqueIds::next() {
  const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  std::string raw = prefix_;
  for (int shift = 56; shift >= 0; shift -= 8)
    raw.push_back(static_cast<char>((n >> shift) & 0xff));
  return base64url_encode(raw);
}

}  // namespace linkgate::util
