#include "util/unique_ids.h"

#include "util/base64url.h"
#include "util/crypto.h"

#include <chrono>

namespace linkgate::util {

std::string time_ordered_id(const std::string& random_bytes) {
  const auto ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::string big_endian(6, '\0');  // 48 bits: milliseconds until the year 10889
  for (int i = 0; i < 6; ++i)
    big_endian[static_cast<std::size_t>(i)] = static_cast<char>((ms >> (40 - 8 * i)) & 0xff);
  return to_hex(big_endian) + base64url_encode(random_bytes);
}

UniqueIds::UniqueIds() : prefix_(random_bytes(9)) {}

std::string UniqueIds::next() {
  const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  std::string raw = prefix_;
  for (int shift = 56; shift >= 0; shift -= 8)
    raw.push_back(static_cast<char>((n >> shift) & 0xff));
  return base64url_encode(raw);
}

}  // namespace linkgate::util
